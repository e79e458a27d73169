using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Lab.Core;
using Lab.Experiments.Fuzzing;

namespace Lab.Cli.Commands;

/// <summary><c>lab fuzz</c>: random scripted scenarios in the model and the kernel, compared (see <see cref="FuzzRun"/>).</summary>
public static class FuzzCommands
{
    public static Command Create()
    {
        var kernel = new Option<string>("--kernel") { Description = "host: this machine's kernel in namespaces; vm: the Debian kernel under qemu (one guest for the run, a namespace in it per case; ESP and flowtable cases too)", Required = true };
        var cases = new Option<int>("--cases") { Description = "Cases to generate and run", DefaultValueFactory = _ => 100 };
        var seed = new Option<long?>("--seed") { Description = "Seed (default: a fresh one, printed); the same seed gives the same cases" };
        var time = new Option<string?>("--time") { Description = "Wall-time budget, e.g. 10m: no new case starts after it, shrinking stops" };
        var outDir = new Option<string>("--out") { Description = "Folder for the shrunk disagreements (scenario and kernel observations)", DefaultValueFactory = _ => Path.Combine("scenarios", "fuzz") };
        var jobs = new Option<int>("--jobs") { Description = "Cases played at once, each in its own namespaces (host; the VM plays one at a time)", DefaultValueFactory = _ => 4 };
        var cmd = new Command("fuzz", "Generate random scripted scenarios, run each in the model and in a real kernel, compare as lab validate does; shrink and keep every disagreement (exit 1)")
        {
            kernel, cases, seed, time, outDir, jobs,
        };
        cmd.SetAction((pr, cancellation) => Task.FromResult(Act(pr, cancellation)));
        return cmd;

        int Act(ParseResult pr, CancellationToken cancellation)
        {
            string k = pr.GetValue(kernel)!;
            int n = pr.GetValue(cases);
            if (n is < 1 or > 1_000_000) throw new LabInputException($"--cases: expected 1 to 1000000 cases, found {n}");
            int j = pr.GetValue(jobs);
            if (j is < 1 or > 64) throw new LabInputException($"--jobs: expected 1 to 64 cases at once, found {j}");
            TimeSpan? budget = null;
            if (pr.GetValue(time) is { } t)
            {
                // 10m is ten minutes here, as a wall-time budget is written (SimTime spells it 10min).
                string text = t.Length > 1 && t[^1] == 'm' && char.IsDigit(t[^2]) ? t + "in" : t;
                if (!SimTime.TryParse(text, out long ps, out _) || ps <= 0 || ps > 7 * 24 * 3600 * SimTime.Second)
                    throw new LabInputException($"--time: expected a duration such as 30s, 10m or 2h (up to 7 days), found '{t}'");
                budget = TimeSpan.FromSeconds(SimTime.ToSeconds(ps));
            }
            string dir = pr.GetValue(outDir)!;
            if (File.Exists(dir)) throw new LabInputException($"--out: {dir} is a file, expected a folder");
            long s = pr.GetValue(seed) ?? RandomNumberGenerator.GetInt32(1, int.MaxValue);
            if (k is not ("host" or "vm")) throw new LabInputException($"--kernel: expected host or vm, found '{k}'");
            var output = pr.InvocationConfiguration.Output;
            using IFuzzKernel fuzzKernel = k == "host" ? HostFuzzKernel.Open(j, cancellation) : VmFuzzKernel.Open(cancellation);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fuzz: seed {s} ({n} cases on {fuzzKernel.Name}, kernel {fuzzKernel.ModelVersion}, {fuzzKernel.Parallelism} at once; lab fuzz --seed {s} repeats them)"));
            if (fuzzKernel is VmFuzzKernel vm) output.WriteLine("  " + vm.Description);
            var options = new FuzzOptions(n, s, budget, dir,
                Origin: string.Create(CultureInfo.InvariantCulture, $"lab fuzz --kernel {k} --seed {s}"),
                CompareHint: (file, live) => $"lab validate {file} --kernel recorded compares the model with them (exit 1 while the disagreement remains), --kernel {live} with the live kernel",
                Words: Flags.Wording);
            // On a terminal the progress line rewrites itself; into a file or pipe, a line every 100 cases.
            var progress = Console.IsErrorRedirected ? new FuzzProgress(Console.Error, false) : new FuzzProgress(Console.Error, true);
            var summary = FuzzRun.Run(options, new FuzzCaseRunner(fuzzKernel), progress, cancellation);
            return FuzzSummaryText.Summarize(output, options, fuzzKernel.Name, summary);
        }
    }
}
