using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Lab.Simulation.Running;
using Xunit.Abstractions;
using Lab.Core;

namespace Lab.Cli.Tests;

/// <summary>The fuzzer sets LAB_RESULTS_DB for the process, so nothing else runs beside it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "scenario fuzzer";
}

/// <summary>One change to a seed file, drawn by CsCheck (so a failure shrinks to a small case).</summary>
public readonly record struct Mutation(int Kind, int A, int B, long N)
{
    public override string ToString() => $"({Kind},{A},{B},{N})";
}

/// <summary>
/// Issue 16's scenario fuzzer. Random mutations of the example scenarios (keys deleted,
/// duplicated, swapped or misspelt; values replaced by random scalars, huge and negative numbers,
/// units, deep nesting, aliases; random bytes; truncation) go through `lab check`, and a bounded
/// subset through `lab run` with a tiny duration; random bytes and mutated real captures go
/// through `pcap` traffic and `lab reorder --pcap`. The property: exit 0, 1 or 2, never an
/// escaped exception or a stack trace, within a time and allocation bound per case, and after a
/// rejected input the results store and the existing output folder are byte for byte as before.
/// Reproduce a failure with the seed CsCheck prints (CsCheck_Seed=...).
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class ScenarioFuzzTests : IDisposable
{
    const int ScenarioCases = 2000;
    const int CaptureCases = 300;
    static readonly TimeSpan CheckLimit = TimeSpan.FromSeconds(20);
    static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);
    const long CheckAllocationBound = 512L << 20;
    const long RunAllocationBound = 2048L << 20;

    readonly string _dir = Directory.CreateTempSubdirectory("lab-fuzz-").FullName;
    readonly string _work;
    readonly string _store;
    readonly string _out;
    readonly string? _previousDb = Environment.GetEnvironmentVariable("LAB_RESULTS_DB");
    readonly ITestOutputHelper _log;
    readonly SortedDictionary<string, int> _tally = new(StringComparer.Ordinal);

    public ScenarioFuzzTests(ITestOutputHelper log)
    {
        _log = log;
        _work = Path.Combine(_dir, "scenarios");
        Directory.CreateDirectory(_work);
        foreach (var f in Directory.GetFiles(Path.Combine(RepoRoot(), "scenarios", "examples"), "*.yaml"))
            File.Copy(f, Path.Combine(_work, Path.GetFileName(f)));
        _store = Path.Combine(_dir, "store", "lab.duckdb");
        _out = Path.Combine(_dir, "out");
        Environment.SetEnvironmentVariable("LAB_RESULTS_DB", _store);
        // A store with one run in it and an output folder a previous run wrote: what a rejected input must leave alone.
        var first = ScenarioRun.Lab("run", Path.Combine(_work, "quickstart.yaml"), "--replications", "1", "--set", "run.duration=50us",
            "--set", "run.warmup=0s", "--set", "outputs.timeseries=10us", "--out", _out);
        Assert.True(first.Code == 0, first.Err);
    }

    void Tally(string command, FuzzOutcome o) => _tally[$"{command} exit {o.Code}"] = _tally.GetValueOrDefault($"{command} exit {o.Code}") + 1;

    public void Dispose()
    {
        _log.WriteLine(string.Join(", ", _tally.Select(t => $"{t.Key}: {t.Value}")));
        Environment.SetEnvironmentVariable("LAB_RESULTS_DB", _previousDb);
        Directory.Delete(_dir, true);
    }

    static string RepoRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lab.sln"))) root = Path.GetDirectoryName(root)!;
        return root;
    }

    static readonly Gen<Mutation> GenMutation =
        Gen.Select(Gen.Int[0, 11], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], Gen.Long, (k, a, b, n) => new Mutation(k, a, b, n));

    [Fact]
    public void Mutated_example_scenarios_end_in_0_1_or_2_and_leave_the_store_and_output_alone()
    {
        var seeds = Directory.GetFiles(_work, "*.yaml").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        string file = Path.Combine(_work, "fuzz-case.yaml");
        int runs = 0;
        Gen.Select(Gen.Int[0, seeds.Length - 1], GenMutation.Array[1, 3]).Sample((seed, mutations) =>
        {
            var extra = new List<string>();
            byte[] bytes = ScenarioMutator.Apply(seeds[seed], mutations, extra);
            File.WriteAllBytes(file, bytes);
            string what = $"seed {seed} mutations {string.Join(" ", mutations)}";
            var check = FuzzHarness.Invoke(["check", file, .. extra], CheckLimit);
            FuzzHarness.AssertClean(check, $"check, {what}", CheckAllocationBound);
            Tally("check", check);
            // A bounded subset also runs (tiny: 50 us, one replication) when its offered load is small.
            if (mutations[0].A % 10 == 0 && (check.Code != 0 || SmallEnoughToRun(file, extra)))
            {
                runs++;
                RunAndCheckLeftovers(file, extra, what);
            }
        }, iter: ScenarioCases, threads: 1, print: c => $"seed {c.Item1} mutations {string.Join(" ", c.Item2)}");
        Assert.True(runs > 0);
    }

    [Fact]
    public void Random_bytes_and_mutated_captures_end_in_0_1_or_2_as_pcap_traffic_and_in_lab_reorder()
    {
        var seeds = new[] { File.ReadAllBytes(Path.Combine(RepoRoot(), "sim", "Lab.Cli.Tests", "Fixtures", "udp4500-lo.pcap")), EspCapture() };
        string cap = Path.Combine(_work, "cap.pcap");
        string scenario = Path.Combine(_work, "cap.yaml");
        File.WriteAllText(scenario, """
            name: cap
            run: { duration: 50us }
            traffic:
              - { name: c, kind: pcap, file: cap.pcap }
            path:
              - link: { rate: 10Gbit/s }
            outputs: { timeseries: 10us }
            """);
        Gen.Select(Gen.Int[0, seeds.Length], GenMutation.Array[0, 4]).Sample((seed, mutations) =>
        {
            byte[] bytes = seed < seeds.Length ? CaptureMutator.Apply(seeds[seed], mutations) : CaptureMutator.RandomBytes(mutations);
            File.WriteAllBytes(cap, bytes);
            string what = $"capture seed {seed} mutations {string.Join(" ", mutations)}";
            var check = FuzzHarness.Invoke(["check", scenario], CheckLimit);
            FuzzHarness.AssertClean(check, $"check, {what}", CheckAllocationBound);
            Tally("check", check);
            RunAndCheckLeftovers(scenario, [], what);
            var reorder = FuzzHarness.Invoke(["reorder", cap, "--pcap"], CheckLimit);
            FuzzHarness.AssertClean(reorder, $"reorder --pcap, {what}", CheckAllocationBound);
            Tally("reorder", reorder);
        }, iter: CaptureCases, threads: 1, print: c => $"capture seed {c.Item1} mutations {string.Join(" ", c.Item2)}");
    }

    void RunAndCheckLeftovers(string file, List<string> extra, string what)
    {
        var storeBefore = FuzzHarness.Snapshot(Path.GetDirectoryName(_store)!);
        var outBefore = FuzzHarness.Snapshot(_out);
        var listingBefore = Directory.GetFileSystemEntries(_dir).Order(StringComparer.Ordinal).ToList();
        var run = FuzzHarness.Invoke(["run", file, .. extra, "--replications", "1", "--set", "run.duration=50us", "--set", "run.warmup=0s",
            "--set", "outputs.timeseries=10us", "--out", _out], RunLimit);
        FuzzHarness.AssertClean(run, $"run, {what}", RunAllocationBound);
        Tally("run", run);
        if (run.Code == 0) return;
        FuzzHarness.AssertUnchanged(storeBefore, FuzzHarness.Snapshot(Path.GetDirectoryName(_store)!), $"the results store, run {what}");
        FuzzHarness.AssertUnchanged(outBefore, FuzzHarness.Snapshot(_out), $"the output folder, run {what}");
        Assert.Equal(listingBefore, Directory.GetFileSystemEntries(_dir).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Whether a scenario that checks clean is cheap at 50 us: a mutated rate of 1e300 Gbit/s is
    /// a valid scenario but no tiny run (its packets would take forever), so those only get checked.
    /// </summary>
    static bool SmallEnoughToRun(string file, List<string> extra)
    {
        var sets = new List<string>();
        for (int i = 0; i + 1 < extra.Count; i += 2) sets.Add(extra[i + 1]);
        sets.AddRange(["run.duration=50us", "run.warmup=0s", "outputs.timeseries=10us"]);
        LoadedScenarioSummary s;
        try
        {
            s = LoadedScenarioSummary.Of(ModelCatalog.CreateLoader().Load(file, sets));
        }
        catch (Lab.Core.LabInputException)
        {
            return true; // rejected with the overrides: the run must reject it the same way
        }
        return s.Points <= 30 && s.PacketsPerPoint <= 100_000 && s.ShortestOnOff >= 100_000;
    }

    sealed record LoadedScenarioSummary(int Points, double PacketsPerPoint, long ShortestOnOff)
    {
        public static LoadedScenarioSummary Of(Lab.Scenarios.LoadedScenario loaded)
        {
            double packets = 0;
            long shortest = long.MaxValue;
            foreach (var p in loaded.Points)
            {
                double perPoint = 0;
                foreach (var t in p.Scenario.Traffic)
                {
                    // Frames of at least 60 B plus 20 B of preamble and gap: the most packets a rate can offer.
                    if (t.Kind is "cbr" or "poisson" or "onoff") perPoint += t.Spec.WireBitsPerSecond / (80 * 8) * 50e-6;
                    else perPoint += t.Packets?.Count ?? 0;
                    if (t.Kind == "onoff") shortest = Math.Min(shortest, Math.Min(t.Spec.MeanOn, t.Spec.MeanOff));
                }
                packets = Math.Max(packets, perPoint);
            }
            return new LoadedScenarioSummary(loaded.Points.Count, packets, shortest);
        }
    }

    /// <summary>Six real AES-GCM ESP frames (the lab's own builder), 1 ms apart, one out of order.</summary>
    static byte[] EspCapture()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lab-fuzz-esp-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");
        try
        {
            EspTestCapture.Write(path, firstNanoseconds: 1_700_000_000_000_000_000L);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>Text and byte mutations of a scenario file, each a pure function of its <see cref="Mutation"/>.</summary>
static class ScenarioMutator
{
    static readonly string[] Scalars =
    [
        "", "~", "null", "0", "-1", "1e308", "-1e308", "1e-300", "99999999999999999999999", "-0", "NaN", ".inf", "-.inf",
        "0x7fffffffffffffff", "9223372036854775807", "-9223372036854775808", "2147483648", "1ps", "0s", "-5ms", "1e30s", "100d",
        "1e300Gbit/s", "0Gbit/s", "-1Gbit/s", "1Tbit/s", "1bit/s", "64", "64B", "59B", "65536B", "9999999999GiB", "1.5", "true",
        "imix", "uniform(64B,1518B)", "uniform(1518B,64B)", "uniform(,)", "cbr", "pcap", "sequence", "onoff", "poisson",
        "\"a\\u0000b\"", "'../../etc'", "/etc/passwd", "../../victim", "quickstart.yaml", "../../../../etc/shadow", "/dev/zero",
        "*a", "&a x", "[]", "{}", "[[[[[[[[", "{a: [b, {c: d}]}", "!!binary aGVsbG8=", "!!int 3", "|\n  x", "é漢字",
        "\"\\xff\"", "[1Gbit/s, 2Gbit/s]", "{ rate: 1Gbit/s }", "- x", "? x", "%", "@", "`", "x: y: z",
    ];

    static readonly string[] Units =
        ["", "ps", "ns", "us", "ms", "s", "min", "h", "d", "B", "KiB", "MiB", "GiB", "kB", "bit/s", "Gbit/s", "Tbit/s", "Mpps", "pps", "%", "W", "x"];

    static readonly string[] SetPaths =
    [
        "run.duration", "run.warmup", "run.seed", "run.replications", "outputs.timeseries", "outputs.latency_cdf", "name",
        "traffic.0.rate", "traffic.0.size", "traffic.0.kind", "traffic.0.flows", "traffic.0.start", "traffic.0.stop",
        "path.0.rate", "path.link.rate", "path.rss.cores", "path.0.queue", "run", "traffic", "sweep.x", "run.nope", "..", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q",
    ];

    static readonly Regex Value = new(@"(?<=: )[^,{}\[\]\n]+", RegexOptions.CultureInvariant);
    static readonly Regex Key = new(@"[A-Za-z_][A-Za-z_0-9]*(?=:)", RegexOptions.CultureInvariant);

    public static byte[] Apply(string text, Mutation[] mutations, List<string> extraArgs)
    {
        foreach (var m in mutations.Where(m => m.Kind != 6)) text = ApplyText(text, m, extraArgs);
        var bytes = Encoding.UTF8.GetBytes(text).ToList();
        foreach (var m in mutations.Where(m => m.Kind == 6))
        {
            // Random bytes (invalid UTF-8, NUL, tabs, control characters) at a random place.
            int at = bytes.Count == 0 ? 0 : m.A % (bytes.Count + 1);
            var noise = BitConverter.GetBytes(m.N).Take(1 + m.B % 8);
            bytes.InsertRange(at, noise);
        }
        return [.. bytes];
    }

    public static string Scalar(int b, long n) => (b % 4) switch
    {
        0 => Scalars[(int)((uint)n % Scalars.Length)],
        1 => NumberWithUnit(n, b / 4),
        2 => n.ToString(CultureInfo.InvariantCulture),
        _ => new string((char)('a' + (uint)n % 26), 1 + (int)((ulong)n % 3000)),
    };

    static string NumberWithUnit(long n, int b)
    {
        string number = (b % 5) switch
        {
            0 => n.ToString(CultureInfo.InvariantCulture),
            1 => (n / 1e6).ToString("R", CultureInfo.InvariantCulture),
            2 => (-(n & 0xFFFF)).ToString(CultureInfo.InvariantCulture),
            3 => "1e" + ((uint)n % 400).ToString(CultureInfo.InvariantCulture),
            _ => ((uint)n % 2000).ToString(CultureInfo.InvariantCulture),
        };
        return number + Units[(b / 5) % Units.Length];
    }

    static string ApplyText(string text, Mutation m, List<string> extraArgs)
    {
        var lines = text.Split('\n').ToList();
        int line = lines.Count == 0 ? 0 : m.A % lines.Count;
        switch (m.Kind)
        {
            case 0:
                lines.RemoveAt(line);
                break;
            case 1:
                lines.Insert(line, lines[line]);
                break;
            case 2:
                int other = m.B % lines.Count;
                (lines[line], lines[other]) = (lines[other], lines[line]);
                break;
            case 3:
                return ReplaceValue(text, m.A, Scalar(m.B, m.N));
            case 4:
            {
                int depth = m.B % 200;
                bool closed = m.N % 2 == 0;
                return ReplaceValue(text, m.A, new string('[', depth) + (closed ? new string(']', depth) : ""));
            }
            case 5:
                return Aliases(text, m);
            case 7:
                return text[..(m.A % (text.Length + 1))];
            case 8:
                return RenameKey(text, m);
            case 9:
                lines[line] = new string(' ', m.B % 7) + lines[line].TrimStart(' ');
                break;
            case 10:
                extraArgs.AddRange(["--set", $"{SetPaths[m.A % SetPaths.Length]}={Scalar(m.B, m.N)}"]);
                break;
            case 11:
                return ReplaceValue(text, m.A, NumberWithUnit(m.N, m.B));
        }
        return string.Join('\n', lines);
    }

    static string ReplaceValue(string text, int which, string replacement)
    {
        var matches = Value.Matches(text);
        if (matches.Count == 0) return text;
        var match = matches[which % matches.Count];
        return text[..match.Index] + replacement + text[(match.Index + match.Length)..];
    }

    static string Aliases(string text, Mutation m)
    {
        if (m.B % 2 == 0)
        {
            // An anchor on one value and an alias to it in another (a list or mapping alias breaks the shape, a scalar may not).
            var matches = Value.Matches(text);
            if (matches.Count < 2) return text;
            var a = matches[m.A % matches.Count];
            var b = matches[(int)((ulong)m.N % (ulong)matches.Count)];
            if (a.Index == b.Index) return text;
            var (first, second) = a.Index < b.Index ? (a, b) : (b, a);
            return text[..first.Index] + "&z " + first.Value + text[(first.Index + first.Length)..second.Index] + "*z" + text[(second.Index + second.Length)..];
        }
        // A small "billion laughs": levels of nine aliases each, used as the description.
        int levels = 1 + m.A % 9;
        var sb = new StringBuilder("description: &l0 [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i <= levels; i++) sb.Append(CultureInfo.InvariantCulture, $"x{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 9))}]\n");
        return sb + string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("description:", StringComparison.Ordinal)));
    }

    static string RenameKey(string text, Mutation m)
    {
        var matches = Key.Matches(text);
        if (matches.Count == 0) return text;
        var k = matches[m.A % matches.Count];
        string key = k.Value;
        string renamed = (m.B % 4) switch
        {
            0 => key.Length > 1 ? key.Remove(m.B / 4 % key.Length, 1) : key + "x",
            1 => key + "x",
            2 => key.ToUpperInvariant(),
            _ => "name",
        };
        return text[..k.Index] + renamed + text[(k.Index + k.Length)..];
    }
}

/// <summary>Byte mutations of a capture: flips, insertions, truncation and header fields set to edge values.</summary>
static class CaptureMutator
{
    static readonly uint[] Edges = [0, 1, 2, 4, 0xA1B2C3D4, 0xD4C3B2A1, 0xA1B23C4D, 0x0A0D0D0A, 65535, 262144, 262145, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];

    public static byte[] RandomBytes(Mutation[] mutations)
    {
        int seed = mutations.Length > 0 ? mutations[0].A : 0;
        int length = mutations.Length > 0 ? mutations[0].B % 4096 : 0;
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static byte[] Apply(byte[] seed, Mutation[] mutations)
    {
        var bytes = seed.ToList();
        foreach (var m in mutations)
        {
            if (bytes.Count == 0) break;
            int at = m.A % bytes.Count;
            switch (m.Kind % 6)
            {
                case 0:
                    bytes[at] = (byte)m.B;
                    break;
                case 1:
                    bytes.InsertRange(at, BitConverter.GetBytes(m.N).Take(1 + m.B % 8));
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                case 4:
                {
                    // A 32-bit field of the file header (offsets 0..20) or of a record header set to an edge value, in either byte order.
                    int field = m.Kind % 6 == 3 ? 4 * (m.B % 6) : 24 + 4 * (m.B % 4);
                    if (field + 4 > bytes.Count) break;
                    uint v = Edges[(int)((ulong)m.N % (ulong)Edges.Length)];
                    var le = BitConverter.GetBytes(m.B % 2 == 0 ? v : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v));
                    for (int i = 0; i < 4; i++) bytes[field + i] = le[i];
                    break;
                }
                default:
                {
                    int length = Math.Min(bytes.Count - at, 1 + m.B % 64);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                }
            }
        }
        return [.. bytes];
    }
}
