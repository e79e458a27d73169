using System.CommandLine;
using Lab.Benchmarking;
using Lab.Core;

namespace Lab.Cli.Commands;

/// <summary><c>lab bench</c> (run, store, save, compare benchmark suites) and <c>lab bench history</c>.</summary>
public static class BenchCommands
{
    public static Command Create(IBenchmarkHost? benchHost)
    {
        var suite = new Option<string[]>("--suite") { Description = "Suite to run (engine, packet-path, models, crypto, io, end-to-end); repeatable; default all" };
        var quick = new Option<bool>("--quick") { Description = "In process, few short iterations (minutes, not an hour)" };
        var dry = new Option<bool>("--dry") { Description = "In process, every benchmark once: a smoke test (no usable numbers)" };
        var filter = new Option<string?>("--filter") { Description = "Only benchmarks whose Type.Method matches this glob, e.g. '*PacketPath*' (several: comma-separated)" };
        var compare = new Option<string?>("--compare") { Description = "Baseline JSON (a file, or a name under bench/baselines): exit 1 when a benchmark got slower" };
        var threshold = new Option<string>("--threshold") { Description = "Slowdown of the ratio to the reference that fails --compare", DefaultValueFactory = _ => "10%" };
        var save = new Option<string?>("--save") { Description = "Write this run as bench/baselines/NAME.json" };
        var baselineDir = new Option<string?>("--baseline-dir") { Description = "Where --save writes and --compare NAME looks (default bench/baselines of the checkout)" };
        var db = new Option<string?>("--db") { Description = "Results store file (default $LAB_RESULTS_DB or results/lab.duckdb)" };
        var noStore = new Option<bool>("--no-store") { Description = "Do not record the run in the results store" };
        var artifacts = new Option<string?>("--artifacts") { Description = "BenchmarkDotNet's artifacts folder (logs, JSON export); default a temporary folder" };
        var verbose = new Option<bool>("--verbose") { Description = "Show BenchmarkDotNet's own log" };
        var runs = new Option<int>("--runs") { Description = "Measure each suite this many times, interleaved; from 3 on, --save records each benchmark's run-to-run noise", DefaultValueFactory = _ => 1 };
        var confirm = new Option<int>("--confirm") { Description = "With --compare: re-measure the benchmarks flagged slower in this many more separate runs; a slowdown stands only when the median of all runs is still beyond its bar (0: off)", DefaultValueFactory = _ => BenchConfirmation.DefaultRuns };
        var crossMachine = new Option<bool>("--cross-machine") { Description = "Let --compare use a baseline from another CPU model (refused otherwise)" };
        var cmd = new Command("bench", "Run the BenchmarkDotNet suites, record them, save or compare a baseline (ratios to a reference benchmark)")
        {
            suite, quick, dry, filter, compare, threshold, save, baselineDir, db, noStore, artifacts, verbose, runs, confirm, crossMachine,
        };
        cmd.SetAction((pr, cancellation) => Task.FromResult(Bench(pr, cancellation)));
        cmd.Subcommands.Add(CreateHistory());
        return cmd;

        int Bench(ParseResult pr, CancellationToken cancellation)
        {
            var output = pr.InvocationConfiguration.Output;
            if (pr.GetValue(quick) && pr.GetValue(dry)) throw new Lab.Core.LabInputException("--quick and --dry: choose one");
            double limit = BenchComparer.ParseThreshold(pr.GetValue(threshold)!);
            var host = benchHost;
            var mode = pr.GetValue(dry) ? BenchMode.Dry : pr.GetValue(quick) ? BenchMode.Quick : BenchMode.Full;
            if (host is null || !host.Measures(mode))
                return ReleaseHostLauncher.Run(pr.Tokens.Select(t => t.Value).ToList(), output, pr.InvocationConfiguration.Error, cancellation);
            if (mode == BenchMode.Quick && !SettledJit.InEffect && SeparateProcessRuns.SelfCommand() is { } self)
                return SettledJit.Relaunch(self, pr.Tokens.Select(t => t.Value).ToList(), output, pr.InvocationConfiguration.Error, cancellation);
            return BenchSession.Run(host, new BenchOptions
            {
                Suites = pr.GetValue(suite) ?? [],
                Mode = mode,
                Filter = pr.GetValue(filter),
                Compare = pr.GetValue(compare),
                Threshold = limit,
                Save = pr.GetValue(save),
                BaselineDirectory = pr.GetValue(baselineDir),
                Database = pr.GetValue(db),
                NoStore = pr.GetValue(noStore),
                ArtifactsDirectory = pr.GetValue(artifacts),
                Verbose = pr.GetValue(verbose),
                Runs = pr.GetValue(runs),
                Confirm = pr.GetValue(confirm),
                CrossMachine = pr.GetValue(crossMachine),
                ChildCommandLine = ChildArguments,
                Words = Flags.Wording,
            }, output, cancellation);
        }
    }

    /// <summary>The command line of a measuring child (a --runs run, a confirmation run, the baseline commit's lab): the same selection and mode, no store, the result saved as a baseline file.</summary>
    public static IReadOnlyList<string> ChildArguments(ChildRunRequest r)
    {
        var a = new List<string> { "bench" };
        foreach (var s in r.Suites) a.AddRange(["--suite", s]);
        if (r.Mode == BenchMode.Quick) a.Add("--quick");
        else if (r.Mode == BenchMode.Dry) a.Add("--dry");
        if (r.Filter is { } f) a.AddRange(["--filter", f]);
        a.AddRange(["--no-store", "--save", r.SaveName, "--baseline-dir", r.SaveDirectory, "--artifacts", r.ArtifactsDirectory]);
        return a;
    }

    static Command CreateHistory()
    {
        var suite = new Option<string?>("--suite") { Description = "Only this suite" };
        var last = new Option<int>("--last") { Description = "How many of the latest runs to show", DefaultValueFactory = _ => 10 };
        var mode = new Option<string?>("--mode") { Description = "Only runs of this mode: full, quick or dry (default full and quick)" };
        var db = new Option<string?>("--db") { Description = "Results store file (default $LAB_RESULTS_DB or results/lab.duckdb)" };
        var cmd = new Command("history", "Benchmark trends across recorded runs: each benchmark's ratio to its suite's reference per run") { suite, last, mode, db };
        cmd.SetAction(pr =>
        {
            int n = pr.GetValue(last);
            if (n < 1) throw new Lab.Core.LabInputException($"--last: expected a positive integer, found {n}");
            var only = BenchModeFilter.Parse(pr.GetValue(mode));
            string? given = pr.GetValue(db);
            using var store = BenchStore.OpenReadOnly(given ?? Lab.Results.ResultsStore.DefaultPath(), given is null ? "" : "db");
            var runs = BenchModeFilter.Select(store.Runs(only), only);
            pr.InvocationConfiguration.Output.Write(BenchReport.FormatHistory(runs, pr.GetValue(suite), n));
            return LabCommand.Ok;
        });
        return cmd;
    }
}
