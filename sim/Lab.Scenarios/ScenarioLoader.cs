using System.Globalization;
using Lab.Core;
using Lab.Models.Path;
using Lab.Models.Traffic;
using Lab.Scenarios.Profiles;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios;

/// <summary>
/// Loads a scenario file: resolves <c>extends</c>, applies <c>--set</c> overrides, expands the
/// sweep, and binds every point into immutable records. All problems are collected and
/// reported together, each with file:line:column (or the flag); nothing runs on a bad scenario.
/// </summary>
public sealed class ScenarioLoader
{
    /// <summary>Time-series samples one point may record over all its replications (about 60 MB in memory, as much CSV).</summary>
    public const long MaxTimeSeriesSamples = 1_000_000;

    /// <summary>Levels of <c>extends</c> (a base of a base...).</summary>
    public const int MaxExtendsDepth = 16;

    readonly Dictionary<string, IPathElementBinder> _binders = new(StringComparer.Ordinal);
    readonly Func<string, string?>? _checkCapture;
    readonly Dictionary<string, string?> _captureChecked = new(StringComparer.Ordinal);

    /// <param name="checkCapture">Given a <c>file:</c> of pcap traffic that exists, returns why it is not a usable capture, or null.</param>
    public ScenarioLoader(IEnumerable<IPathElementBinder>? binders = null, Func<string, string?>? checkCapture = null)
    {
        foreach (var b in binders ?? []) _binders[b.Type] = b;
        _checkCapture = checkCapture;
    }

    public IReadOnlyCollection<IPathElementBinder> Binders => _binders.Values;

    /// <summary>Records every scenario-format key the loader reads (a test checks each goes through its declaration), or null; model elements keep their own.</summary>
    public ReadLog? Log { get; set; }

    /// <param name="sets">key=value texts of the "set" parameter, applied in order.</param>
    /// <param name="overrides">Parameters set otherwise (seed, replications), applied after the sets; problems name them as given.</param>
    /// <param name="nameOf">How the front end names the "set" parameter in messages (the CLI: --set); the library's name when null.</param>
    public LoadedScenario Load(string file, IReadOnlyList<string>? sets = null, IReadOnlyList<ParameterOverride>? overrides = null, Func<string, string>? nameOf = null)
    {
        var root = ResolveExtends(file, null, []);
        return Load(root, file, AllOverrides(sets, overrides, nameOf));
    }

    public LoadedScenario LoadText(string text, string fileName, IReadOnlyList<string>? sets = null) =>
        Load(YamlLoader.LoadText(text, fileName), fileName, AllOverrides(sets, null, null));

    static List<ParameterOverride> AllOverrides(IReadOnlyList<string>? sets, IReadOnlyList<ParameterOverride>? overrides, Func<string, string>? nameOf)
    {
        var all = new List<ParameterOverride>();
        string setName = (nameOf ?? (n => n))("set");
        foreach (var set in sets ?? [])
        {
            int eq = set.IndexOf('=', StringComparison.Ordinal);
            all.Add(eq <= 0 ? new ParameterOverride($"{setName} {set}", "", "") : new ParameterOverride($"{setName} {set}", set[..eq].Trim(), set[(eq + 1)..].Trim()));
        }
        all.AddRange(overrides ?? []);
        return all;
    }

    LoadedScenario Load(YMap root, string file, IReadOnlyList<ParameterOverride> overrides)
    {
        var problems = new Problems();
        foreach (var o in overrides) ApplyOverride(root, o, problems);
        problems.ThrowIfAny();
        // After --set (a given key wins over the profile) and before the sweep (a swept cost wins too).
        var costs = ScenarioCostSources.Apply(root, file, _binders, problems);
        problems.ThrowIfAny();

        // Read before binding (the sweep makes the points that are bound), by its declared key.
        var sweepNode = root[ScenarioSchema.TopSweep.Key];
        root.Remove(ScenarioSchema.TopSweep.Key);
        var baseTree = (YMap)root.Clone();
        var sweep = SweepExpander.Parse(sweepNode, problems);
        SweptOverrides.Check(overrides, sweep, problems);
        problems.ThrowIfAny();

        // Bind the base first: a problem in the scenario itself is reported once, not once per point.
        Bind(baseTree, file, problems);
        problems.ThrowIfAny();

        var points = new List<ScenarioPoint>();
        foreach (var assignment in SweepExpander.Expand(sweep))
        {
            var tree = (YMap)baseTree.Clone();
            foreach (var (param, value) in assignment)
            {
                string? error = ParameterPath.TrySet(tree, param.Name, value.Clone());
                if (error is not null) problems.Add(param.Pos, $"sweep: {error}");
            }
            problems.ThrowIfAny();
            var scenario = Bind(tree, file, problems);
            problems.ThrowIfAny();
            var parameters = assignment.Select(a => new KeyValuePair<string, string>(a.Param.Name, a.Value is YScalar s ? s.Value : "?")).ToList();
            points.Add(new ScenarioPoint(points.Count, parameters, scenario!, tree));
        }
        if (points.Count == 0) throw new LabInputException($"{sweepNode?.Pos ?? root.Pos}: sweep: expected at least one point, found every point excluded by sweep.exclude");
        return new LoadedScenario(file, sweep.Axes.Select(a => a.Name).ToList(), points, baseTree, sweepNode) { Costs = costs };
    }

    static void ApplyOverride(YMap root, ParameterOverride o, Problems problems)
    {
        var flag = SourcePos.Flag(o.Flag);
        if (o.Path.Length == 0)
        {
            problems.Add(flag, "expected key=value (for example run.duration=2s), found no '='");
            return;
        }
        string? error = ParameterPath.TrySet(root, o.Path, new YScalar(flag, o.Value));
        if (error is not null) problems.Add(flag, error);
    }

    /// <summary>
    /// Loads a scenario and, through <c>extends</c>, its bases. A base may lie anywhere (a
    /// shared ../common/base.yaml is usual), but it must be a scenario: a regular .yaml or .yml
    /// file (a link must point at one too) whose top level holds only scenario keys. Until that
    /// is known nothing quotes its text, so naming /etc/shadow (or a link to it) prints no line of it.
    /// </summary>
    static YMap ResolveExtends(string file, SourcePos? namedAt, List<string> chain)
    {
        string full = Path.GetFullPath(file);
        var root = namedAt is null ? YamlLoader.LoadFile(file) : LoadBase(file, namedAt);
        if (root[ScenarioSchema.TopExtends.Key] is not { } ext) return root;
        if (ext is not YScalar s || s.Value.Length == 0)
            throw new LabInputException($"{ext.Pos}: extends: expected the path of a base scenario, found {YamlLoader.Describe(ext)}");
        string basePath = Path.Combine(Path.GetDirectoryName(full) ?? ".", s.Value);
        string baseFull = Path.GetFullPath(basePath);
        var names = chain.Append(full).ToList();
        if (names.Contains(baseFull))
            throw new LabInputException($"{s.Pos}: extends: expected a base that does not lead back here, found a cycle: {string.Join(" -> ", names.Append(baseFull).Select(Path.GetFileName))}");
        if (names.Count > MaxExtendsDepth)
            throw new LabInputException($"{s.Pos}: extends: expected at most {MaxExtendsDepth} levels of bases, found more");
        var baseMap = ResolveExtends(basePath, s.Pos, names);
        root.Remove("extends");
        return ParameterPath.Merge(baseMap, root);
    }

    static YMap LoadBase(string path, SourcePos namedAt)
    {
        string shown = Path.GetFileName(path);
        if (!IsYamlName(path))
            throw new LabInputException($"{namedAt}: extends: expected a YAML scenario file (.yaml or .yml), found '{shown}'");
        if (Directory.Exists(path)) throw new LabInputException($"{namedAt}: extends: expected a YAML scenario file, found a directory '{shown}'");
        if (!File.Exists(path)) throw new LabInputException($"{namedAt}: extends: no such file '{shown}' (looked for {path})");
        if (File.ResolveLinkTarget(path, returnFinalTarget: true) is { } target && !IsYamlName(target.FullName))
            throw new LabInputException($"{namedAt}: extends: expected a YAML scenario file, found '{shown}', a link to a file that is not .yaml or .yml");
        // A pipe or a device has no size: refusing those also means never blocking on one.
        if (new FileInfo(path).Length == 0)
            throw new LabInputException($"{namedAt}: extends: expected a YAML scenario file, found '{shown}' empty or not a regular file");
        var map = YamlLoader.LoadFile(path, quoteContent: false);
        var keys = ScenarioSchema.TopLevel.Select(k => k.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (k, _) in map.Entries)
        {
            if (!keys.Contains(k.Value))
                throw new LabInputException($"{k.Pos}: extends: expected a scenario, whose top-level keys are {string.Join(", ", ScenarioSchema.TopLevel.Select(t => t.Key))}, found another key here; is '{shown}' a scenario?");
        }
        return map;
    }

    static bool IsYamlName(string path) =>
        Path.GetExtension(path).Equals(".yaml", StringComparison.OrdinalIgnoreCase) || Path.GetExtension(path).Equals(".yml", StringComparison.OrdinalIgnoreCase);

    Scenario? Bind(YMap root, string file, Problems problems)
    {
        var top = new MapReader(root, "the scenario", ScenarioSchema.TopLevel, problems, "", Log);
        string name = top.Read(ScenarioSchema.TopName, "", required: true);
        ScenarioNameRule.Check(top.Node(ScenarioSchema.TopName), problems);
        string description = top.Read(ScenarioSchema.TopDescription);

        var runR = MapReader.ForNode(top.Node(ScenarioSchema.TopRun), "run", ScenarioSchema.Run, problems, root.Pos, "", Log);
        // A reader is null only when its section is not a mapping (a problem already): the defaults stand in.
        long duration = runR?.Read(ScenarioSchema.RunDuration) ?? ScenarioSchema.RunDuration.Default;
        long warmup = runR?.Read(ScenarioSchema.RunWarmup) ?? ScenarioSchema.RunWarmup.Default;
        long seed = runR?.Read(ScenarioSchema.RunSeed) ?? ScenarioSchema.RunSeed.Default;
        int reps = (int)(runR?.Read(ScenarioSchema.RunReplications) ?? ScenarioSchema.RunReplications.Default);
        if (runR is not null && warmup >= duration && runR.Has(ScenarioSchema.RunWarmup))
            problems.Add(runR.PosOf(ScenarioSchema.RunWarmup), $"run.warmup: expected less than run.duration ({SimTime.Format(duration)}), found {SimTime.Format(warmup)}");

        var outR = MapReader.ForNode(top.Node(ScenarioSchema.TopOutputs), "outputs", ScenarioSchema.Outputs, problems, root.Pos, "", Log);
        long tsInterval = outR?.Read(ScenarioSchema.OutputTimeseries) ?? 0;
        if (outR is not null) CheckTimeSeriesSize(outR, duration, tsInterval, reps, problems);
        bool cdf = outR?.Read(ScenarioSchema.OutputLatencyCdf) ?? ScenarioSchema.OutputLatencyCdf.Default;

        var traffic = BindTraffic(top.Node(ScenarioSchema.TopTraffic), root.Pos, file, problems, duration, reps);
        var path = BindPath(top.Node(ScenarioSchema.TopPath), root.Pos, problems);
        var probes = ProbeTimes.Bind(top.Node(ScenarioSchema.TopProbes), duration, problems, Log);
        if (problems.Any) return null;
        return new Scenario(name, description, file, new RunSpec(duration, warmup, seed, reps), traffic, path, new OutputSpec(tsInterval, cdf)) { Probes = probes };
    }

    /// <summary>The estimate before running: one sample per interval over the whole run (warm-up included), per replication.</summary>
    static void CheckTimeSeriesSize(MapReader outputs, long duration, long interval, int replications, Problems problems)
    {
        if (interval <= 0) return;
        Int128 perReplication = duration / interval;
        Int128 total = perReplication * replications;
        if (total <= MaxTimeSeriesSamples) return;
        Int128 smallest = ((Int128)duration * replications + MaxTimeSeriesSamples - 1) / MaxTimeSeriesSamples;
        problems.Add(outputs.PosOf(ScenarioSchema.OutputTimeseries), string.Create(CultureInfo.InvariantCulture,
            $"outputs.timeseries: expected at most {MaxTimeSeriesSamples} time-series samples per run, found an estimate of {total} " +
            $"(run.duration {SimTime.Format(duration)} / {SimTime.Format(interval)} = {perReplication} per replication x {replications} replication(s)); " +
            $"use an interval of at least {SimTime.Format((long)smallest)}, or 0s to turn the time series off"));
    }

    string? CaptureProblem(string path, string named)
    {
        if (Directory.Exists(path)) return $"expected a pcap file, found a directory '{named}'";
        if (!File.Exists(path)) return $"no such pcap '{named}' (looked for {path})";
        // A pipe or a device reports no size; a pcap has at least its 24-byte header. Refusing
        // those here also means never blocking on opening one.
        if (new FileInfo(path).Length < 24) return $"expected a pcap file (a 24-byte header, then records), found '{named}' shorter than that or not a regular file";
        if (_checkCapture is null) return null;
        if (!_captureChecked.TryGetValue(path, out string? why)) _captureChecked[path] = why = _checkCapture(path);
        return why is null ? null : $"'{named}' is not a usable pcap: {why}";
    }

    List<TrafficElement> BindTraffic(YNode? node, SourcePos rootPos, string file, Problems problems, long duration, int reps)
    {
        var list = new List<TrafficElement>();
        if (node is null)
        {
            problems.Add(rootPos, "missing key 'traffic': expected a list of at least one generator");
            return list;
        }
        if (node is not YSeq seq || seq.Items.Count == 0)
        {
            problems.Add(node.Pos, $"traffic: expected a list of at least one generator, found {(node is YSeq ? "an empty list" : YamlLoader.Describe(node))}");
            return list;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < seq.Items.Count; i++)
        {
            var item = seq.Items[i];
            var r = MapReader.ForNode(item, $"traffic[{i}]", ScenarioSchema.Traffic, problems, item.Pos, "", Log);
            if (r is null) continue;
            string name = r.Read(ScenarioSchema.TrafficName, $"traffic{i}", required: true);
            if (!names.Add(name)) problems.Add(r.PosOf(ScenarioSchema.TrafficName), $"traffic[{i}].name: expected a unique name, found '{name}' twice");
            // Absent, the kind gets its own message (the choices listed); a wrong one is the reader's problem.
            string kind = r.Read(ScenarioSchema.TrafficKind, "poisson");
            if (!r.Has(ScenarioSchema.TrafficKind))
                problems.Add(item.Pos, $"missing key 'kind' in traffic[{i}]: expected one of {string.Join(", ", ScenarioSchema.TrafficKind.Choices!)}");
            bool needsRate = kind is "cbr" or "poisson" or "onoff";
            // Without a rate (sequence, script, pcap) the spec's rate is never used.
            double rate = needsRate ? r.Read(ScenarioSchema.TrafficRate, 1e9, required: true) : 1e9;
            var sizes = BindSizes(r, problems);
            int flows = (int)r.Read(ScenarioSchema.TrafficFlows);
            bool churn = false;
            double alpha = 0, meanPackets = 0;
            if (r.Node(ScenarioSchema.TrafficFlowMix) is { } fm)
            {
                var fr = MapReader.ForNode(fm, $"traffic[{i}].flow_mix", ScenarioSchema.FlowMixKeys, problems, fm.Pos, "", Log);
                alpha = fr?.Read(ScenarioSchema.FlowMixAlpha) ?? ScenarioSchema.FlowMixAlpha.Default;
                meanPackets = fr?.Read(ScenarioSchema.FlowMixMeanPackets) ?? ScenarioSchema.FlowMixMeanPackets.Default;
                churn = true;
            }
            long on = r.Read(ScenarioSchema.TrafficOn);
            long off = r.Read(ScenarioSchema.TrafficOff);
            byte dscp = (byte)r.Read(ScenarioSchema.TrafficDscp);
            long start = r.Read(ScenarioSchema.TrafficStart);
            // 0: until the end of the run.
            long stop = r.Read(ScenarioSchema.TrafficStop, 0);
            if (r.Has(ScenarioSchema.TrafficStop) && stop > 0 && stop <= start)
                problems.Add(r.PosOf(ScenarioSchema.TrafficStop), $"traffic[{i}].stop: expected a time after start ({SimTime.Format(start)}), found {SimTime.Format(stop)}");
            IReadOnlyList<ListedPacket>? packets = null;
            string? pcap = null;
            if (kind == "sequence") packets = BindSequence(r, i, problems, Log);
            ScriptTrace? script = kind == "script" ? ScriptBinder.Bind(r, i, problems) : null;
            if (kind == "pcap")
            {
                if (r.TryRead(ScenarioSchema.TrafficFile, out string f, required: true))
                {
                    pcap = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".", f);
                    if (CaptureProblem(pcap, f) is { } why) problems.Add(r.PosOf(ScenarioSchema.TrafficFile), $"traffic[{i}].file: {why}");
                }
            }
            var process = kind switch { "cbr" => ArrivalProcess.ConstantBitRate, "onoff" => ArrivalProcess.OnOff, _ => ArrivalProcess.Poisson };
            var spec = new TrafficSpec(name, process, rate, sizes, flows, churn, alpha, meanPackets, on, off, dscp, start, stop);
            if (needsRate && r.Node(ScenarioSchema.TrafficRate) is { } rateNode && PacketBudget.Check($"traffic[{i}]", (rateNode as YScalar)?.Value ?? "", spec, duration, reps) is { } tooMany)
                problems.Add(r.PosOf(ScenarioSchema.TrafficRate), tooMany);
            list.Add(new TrafficElement(spec, kind, packets, pcap, item.Pos) { Script = script });
        }
        return list;
    }

    static SizeDistribution BindSizes(MapReader r, Problems problems)
    {
        var node = r.Node(ScenarioSchema.TrafficSize);
        const int fallback = ScenarioSchema.DefaultFrameBytes;
        if (node is null) return SizeDistribution.Fixed(fallback);
        if (node is YScalar s)
        {
            if (s.Value == "imix") return SizeDistribution.Imix();
            if (s.Value.StartsWith("uniform(", StringComparison.Ordinal) && s.Value.EndsWith(')'))
            {
                var parts = s.Value["uniform(".Length..^1].Split(',');
                if (parts.Length == 2 && Units.TryParseBytes(parts[0], out long lo, out _) && Units.TryParseBytes(parts[1], out long hi, out _) && lo >= ScenarioSchema.MinFrameBytes && hi >= lo && hi <= 65535)
                    return SizeDistribution.Uniform((int)lo, (int)hi);
                problems.Add(s.Pos, $"{r.Section}.size: expected uniform(MIN,MAX) with sizes such as uniform(64B,1518B), found '{s.Value}'");
                return SizeDistribution.Fixed(fallback);
            }
            if (Units.TryParseBytes(s.Value, out long b, out string err))
            {
                if (b is >= ScenarioSchema.MinFrameBytes and <= 65535) return SizeDistribution.Fixed((int)b);
                problems.Add(s.Pos, $"{r.Section}.size: expected a frame size from {ScenarioSchema.MinFrameBytes}B to 65535B, found '{s.Value}'");
                return SizeDistribution.Fixed(fallback);
            }
            problems.Add(s.Pos, $"{r.Section}.size: expected imix, uniform(MIN,MAX) or {err.Replace("expected ", "", StringComparison.Ordinal)}");
            return SizeDistribution.Fixed(fallback);
        }
        if (node is YSeq seq && seq.Items.Count > 0)
        {
            var entries = new List<(int, double)>();
            foreach (var it in seq.Items)
            {
                var er = MapReader.ForNode(it, $"{r.Section}.size[]", ScenarioSchema.SizeEntry, problems, it.Pos, "", r.Log);
                if (er is null) continue;
                entries.Add(((int)er.Read(ScenarioSchema.SizeEntrySize, fallback, required: true), er.Read(ScenarioSchema.SizeEntryWeight)));
            }
            return entries.Count > 0 ? SizeDistribution.Empirical(entries) : SizeDistribution.Fixed(fallback);
        }
        problems.Add(node.Pos, $"{r.Section}.size: expected a size, imix, uniform(MIN,MAX) or a list of {{size, weight}}, found {YamlLoader.Describe(node)}");
        return SizeDistribution.Fixed(fallback);
    }

    static List<ListedPacket> BindSequence(MapReader r, int index, Problems problems, ReadLog? log)
    {
        var list = new List<ListedPacket>();
        var node = r.Node(ScenarioSchema.TrafficPackets);
        if (node is not YSeq seq || seq.Items.Count == 0)
        {
            problems.Add(node?.Pos ?? r.Map.Pos, $"traffic[{index}].packets: expected a non-empty list of packets {{at, size, flow, seq}}, found {(node is null ? "nothing" : YamlLoader.Describe(node))}");
            return list;
        }
        for (int k = 0; k < seq.Items.Count; k++)
        {
            var pr = MapReader.ForNode(seq.Items[k], $"traffic[{index}].packets[{k}]", ScenarioSchema.SequencePacket, problems, seq.Items[k].Pos, "", log);
            if (pr is null) continue;
            list.Add(new ListedPacket(
                pr.Read(ScenarioSchema.SequenceAt, 0, required: true),
                (int)pr.Read(ScenarioSchema.SequenceSize),
                (int)pr.Read(ScenarioSchema.SequenceFlow),
                pr.Read(ScenarioSchema.SequenceSeq, k + 1),
                (byte)pr.Read(ScenarioSchema.PacketDscp)));
        }
        return list;
    }

    List<PathElement> BindPath(YNode? node, SourcePos rootPos, Problems problems)
    {
        var list = new List<PathElement>();
        if (node is null)
        {
            problems.Add(rootPos, "missing key 'path': expected a list of path elements (link, rss, stage, ...)");
            return list;
        }
        if (node is not YSeq seq || seq.Items.Count == 0)
        {
            problems.Add(node.Pos, $"path: expected a list of at least one element, found {(node is YSeq ? "an empty list" : YamlLoader.Describe(node))}");
            return list;
        }
        var types = new List<string> { "link", "rss", "stage" };
        types.AddRange(_binders.Keys.Order(StringComparer.Ordinal));
        var named = new Dictionary<string, (int Index, SourcePos Pos)>(StringComparer.Ordinal);
        for (int i = 0; i < seq.Items.Count; i++)
        {
            int before = list.Count;
            BindPathElement(seq.Items[i], i, types, list, problems);
            if (list.Count == before) continue;
            // Metrics, drop reasons and parameter paths (path.NAME.key) find an element by its name.
            var added = list[^1];
            if (!named.TryAdd(added.Name, (i, added.Pos)))
            {
                var (firstIndex, firstPos) = named[added.Name];
                problems.Add(added.Pos, $"path[{i}]: expected a unique element name, found '{added.Name}' again (path[{firstIndex}] at line {firstPos.Line}, column {firstPos.Column}); set a different name: on one of them");
            }
        }
        return list;
    }

    void BindPathElement(YNode item, int i, List<string> types, List<PathElement> list, Problems problems)
    {
        if (item is not YMap m || m.Entries.Count != 1)
        {
            problems.Add(item.Pos, $"path[{i}]: expected one element such as '- link: {{rate: 10Gbit/s}}', found {YamlLoader.Describe(item)}");
            return;
        }
        var (typeKey, body) = m.Entries[0];
        string type = typeKey.Value;
        var bodyMap = body as YMap ?? (body is YScalar { Value: "" } ? new YMap(body.Pos) : null);
        if (bodyMap is null)
        {
            problems.Add(body.Pos, $"path[{i}].{type}: expected a mapping of settings, found {YamlLoader.Describe(body)}");
            return;
        }
        switch (type)
        {
            case "link":
            {
                var r = new MapReader(bodyMap, $"path[{i}].link", ScenarioSchema.Link, problems, "", Log);
                var (qp, qb) = QueueCapacity(r, ScenarioSchema.LinkQueue, ScenarioSchema.DefaultTxQueuePackets, problems);
                list.Add(new LinkElement(r.Read(ScenarioSchema.LinkName, $"link{i}"), r.Read(ScenarioSchema.LinkRate, 1e9, required: true), r.Read(ScenarioSchema.LinkDelay), qp, qb, typeKey.Pos));
                break;
            }
            case "rss":
            {
                var r = new MapReader(bodyMap, $"path[{i}].rss", ScenarioSchema.Rss, problems, "", Log);
                list.Add(new RssElement(r.Read(ScenarioSchema.RssName), (int)r.Read(ScenarioSchema.RssCores), (int)r.Read(ScenarioSchema.RssRing), typeKey.Pos));
                break;
            }
            case "stage":
            {
                var r = new MapReader(bodyMap, $"path[{i}].stage", ScenarioSchema.Stage, problems, "", Log);
                string name = r.Read(ScenarioSchema.StageName, "stage", required: true);
                long cost = r.Read(ScenarioSchema.StageCost, 0, required: true);
                long perByte = r.Read(ScenarioSchema.StagePerByte);
                bool exp = r.Read(ScenarioSchema.StageExponential);
                list.Add(new StageElement(name, new CostModel(cost, perByte, exp), typeKey.Pos));
                break;
            }
            default:
                if (_binders.TryGetValue(type, out var binder))
                {
                    var r = new MapReader(bodyMap, $"path[{i}].{type}", binder.Keys, problems);
                    list.Add(binder.Bind(r, type));
                }
                else
                {
                    string? hint = Problems.Suggest(type, types);
                    problems.Add(typeKey.Pos, $"path[{i}]: unknown element '{type}'" + (hint is null ? $"; expected one of: {string.Join(", ", types)}" : $" (did you mean '{hint}'?)"));
                }
                break;
        }
    }

    static (int Packets, long Bytes) QueueCapacity(MapReader r, SectionParameter p, int defaultPackets, Problems problems)
    {
        var node = r.Node(p);
        string key = r.LocalKey(p);
        if (node is null) return (defaultPackets, 0);
        if (node is not YScalar s)
        {
            problems.Add(node.Pos, $"{r.Section}.{key}: expected a capacity in packets (1000) or bytes (256KiB), found {YamlLoader.Describe(node)}");
            return (defaultPackets, 0);
        }
        if (long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n >= 0 && n <= int.MaxValue) return ((int)n, 0);
        if (Units.TryParseBytes(s.Value, out long b, out _) && b > 0) return (0, b);
        problems.Add(s.Pos, $"{r.Section}.{key}: expected a capacity in packets (1000) or bytes (256KiB), found '{s.Value}'");
        return (defaultPackets, 0);
    }
}
