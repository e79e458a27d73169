using System.Globalization;
using Lab.Core;
using Lab.Scenarios.Yaml;

namespace Lab.Scenarios.Profiles;

/// <summary>
/// Reads a cost profile. Every problem is reported at once with file:line:column, what was expected and what
/// was found (a <see cref="LabInputException"/>, exit code 2 in the command line); nothing is half-read.
/// </summary>
public static class CostProfileReader
{
    /// <summary>Reads <paramref name="path"/>. <paramref name="costKeysOf"/>, when given, names the valid cost keys of an element type (null: unknown element).</summary>
    public static CostProfile Read(string path, Func<string, IReadOnlyCollection<string>?>? costKeysOf = null)
    {
        if (!File.Exists(path)) throw new LabInputException($"{path}: no such cost profile");
        return Parse(File.ReadAllText(path), path, costKeysOf);
    }

    public static CostProfile Parse(string text, string fileName, Func<string, IReadOnlyCollection<string>?>? costKeysOf = null)
    {
        YMap root;
        try
        {
            root = YamlLoader.LoadText(text, fileName);
        }
        catch (LabInputException e) when (e.Message.Contains("expected a scenario", StringComparison.Ordinal) || e.Message.Contains("empty file", StringComparison.Ordinal))
        {
            throw new LabInputException($"{fileName}:1:1: expected a cost profile (a YAML mapping starting with 'format: {CostProfile.FormatTag}'), found {(text.Trim().Length == 0 ? "an empty file" : "something else")}");
        }
        var problems = new Problems();
        var top = new MapReader(root, "the cost profile", CostProfileSchema.TopLevel, problems);
        string? format = top.String("format", required: true);
        if (format is not null && format != CostProfile.FormatTag)
            problems.Add(top.PosOf("format"), $"format: expected '{CostProfile.FormatTag}', found '{format}'");
        if (format != CostProfile.FormatTag && format is not null)
            problems.ThrowIfAny(); // another format's keys would only add noise

        string machine = top.String("machine", required: true) ?? "";
        string measuredText = top.String("measured", required: true) ?? "";
        DateTimeOffset measured = default;
        if (top.Has("measured") && !DateTimeOffset.TryParse(measuredText, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out measured))
            problems.Add(top.PosOf("measured"), $"measured: expected a UTC time such as 2026-12-06T07:00:00Z, found '{measuredText}'");
        string commit = top.String("lab_commit", required: true) ?? "";

        var kernel = Section(top, "kernel", CostProfileSchema.Kernel, problems);
        string release = kernel?.String("release", required: true) ?? "";
        string where = kernel?.Choice("where", "host", "host", "vm") ?? "host";
        if (kernel is not null && !kernel.Has("where")) problems.Add(kernel.Map.Pos, "missing key 'where' in kernel: expected host or vm");
        bool emulated = kernel?.Boolean("emulated", false) ?? false;

        var cpu = Section(top, "cpu", CostProfileSchema.Cpu, problems);
        string model = cpu?.String("model", required: true) ?? "";
        long cpus = cpu?.Integer("cpus", 1, 1, 65536, required: true) ?? 1;

        var method = Section(top, "method", CostProfileSchema.Method, problems);
        long packets = method?.Integer("packets", 1, 1, required: true) ?? 1;
        long repeat = method?.Integer("repeat", 1, 1, 10_000, required: true) ?? 1;
        long frame = method?.Bytes("frame", 64, required: true, min: 42) ?? 64;
        long flows = method?.Integer("flows", 1, 1, 16_777_216, required: true) ?? 1;
        string accounting = method?.String("accounting", required: true) ?? "";
        string pinning = method?.String("pinning", required: true) ?? "";

        var stages = ReadStages(top, problems);
        var costs = ReadCosts(top, problems, costKeysOf);
        problems.ThrowIfAny();
        return new CostProfile
        {
            SourceFile = fileName,
            Machine = machine,
            Measured = measured,
            LabCommit = commit,
            Kernel = new ProfileKernel(release, where, emulated),
            Cpu = new ProfileCpu(model, (int)cpus),
            Method = new ProfileMethod(packets, (int)repeat, (int)frame, (int)flows, accounting, pinning),
            Stages = stages,
            Costs = costs,
        };
    }

    static MapReader? Section(MapReader top, string key, IReadOnlyList<KeySpec> keys, Problems problems)
    {
        var node = top.Node(key);
        if (node is null)
        {
            problems.Add(top.Map.Pos, $"missing key '{key}' in the cost profile: expected a mapping of {string.Join(", ", keys.Select(k => k.Key))}");
            return null;
        }
        return MapReader.ForNode(node, key, keys, problems, top.Map.Pos);
    }

    static List<ProfileStage> ReadStages(MapReader top, Problems problems)
    {
        var list = new List<ProfileStage>();
        var node = top.Node("stages");
        if (node is null)
        {
            problems.Add(top.Map.Pos, "missing key 'stages' in the cost profile: expected a mapping of stage names (baseline, forward, ...)");
            return list;
        }
        if (node is not YMap map)
        {
            problems.Add(node.Pos, $"stages: expected a mapping of stage names, found {YamlLoader.Describe(node)}");
            return list;
        }
        foreach (var (key, value) in map.Entries)
        {
            string name = key.Value;
            if (!CostProfileSchema.StageNames.Contains(name))
            {
                string? hint = Problems.Suggest(name, CostProfileSchema.StageNames);
                problems.Add(key.Pos, $"unknown stage '{name}'" + (hint is null ? $"; expected one of: {string.Join(", ", CostProfileSchema.StageNames)}" : $" (did you mean '{hint}'?)"));
                continue;
            }
            var r = MapReader.ForNode(value, "stages." + name, CostProfileSchema.Stage, problems, key.Pos);
            if (r is null) continue;
            string? label = r.String("label");
            if (r.Has("not_measured"))
            {
                string reason = r.String("not_measured") ?? "";
                foreach (string k in new[] { "ns", "ci95", "softirq_ns", "n" })
                    if (r.Has(k)) problems.Add(r.PosOf(k), $"stages.{name}.{k}: a stage that was not measured has no values; found both not_measured and {k}");
                list.Add(ProfileStage.Unmeasured(name, reason) with { Label = label });
                continue;
            }
            double ns = r.Number("ns", double.NaN, required: true);
            var (lo, hi) = Interval(r, "ci95", $"stages.{name}.ci95", problems);
            double? soft = r.Has("softirq_ns") ? r.Number("softirq_ns", double.NaN) : null;
            long n = r.Integer("n", 1, 1, 1_000_000, required: true);
            if (double.IsFinite(ns) && double.IsFinite(lo) && (ns < lo - 1e-9 || ns > hi + 1e-9))
                problems.Add(r.PosOf("ci95"), $"stages.{name}.ci95: expected an interval around ns = {CostProfileWriter.Num(ns)}, found [{CostProfileWriter.Num(lo)}, {CostProfileWriter.Num(hi)}]");
            list.Add(new ProfileStage(name, ns, lo, hi, soft, (int)n, null, label));
        }
        return list;
    }

    static List<ProfileCost> ReadCosts(MapReader top, Problems problems, Func<string, IReadOnlyCollection<string>?>? costKeysOf)
    {
        var list = new List<ProfileCost>();
        var node = top.Node("costs");
        if (node is null) return list;
        if (node is not YMap elements)
        {
            problems.Add(node.Pos, $"costs: expected a mapping of element types (forward, ...), found {YamlLoader.Describe(node)}");
            return list;
        }
        foreach (var (elementKey, elementNode) in elements.Entries)
        {
            string element = elementKey.Value;
            IReadOnlyCollection<string>? valid = null;
            if (costKeysOf is not null)
            {
                valid = costKeysOf(element);
                if (valid is null)
                {
                    problems.Add(elementKey.Pos, $"costs.{element}: no element type '{element}' has cost keys");
                    continue;
                }
            }
            if (elementNode is not YMap keys)
            {
                problems.Add(elementNode.Pos, $"costs.{element}: expected a mapping of cost keys (rx_ingress, ...), found {YamlLoader.Describe(elementNode)}");
                continue;
            }
            foreach (var (costKey, costNode) in keys.Entries)
            {
                string key = costKey.Value;
                if (valid is not null && !valid.Contains(key))
                {
                    string? hint = Problems.Suggest(key, valid);
                    problems.Add(costKey.Pos, $"costs.{element}: unknown cost key '{key}'" + (hint is null ? $"; expected one of: {string.Join(", ", valid)}" : $" (did you mean '{hint}'?)"));
                    continue;
                }
                string where = $"costs.{element}.{key}";
                var r = MapReader.ForNode(costNode, where, CostProfileSchema.Cost, problems, costKey.Pos);
                if (r is null) continue;
                long ps = r.Duration("value", 0, required: true);
                var (lo, hi) = Interval(r, "ci95", where + ".ci95", problems);
                var from = StageList(r, where, problems);
                list.Add(new ProfileCost(element, key, ps, lo, hi, from, r.String("note"), r.String("label")));
            }
        }
        return list;
    }

    static (double Low, double High) Interval(MapReader r, string key, string where, Problems problems)
    {
        var node = r.Node(key);
        if (node is null)
        {
            problems.Add(r.Map.Pos, $"missing key '{key}' in {r.Section}: expected [low, high]");
            return (double.NaN, double.NaN);
        }
        if (node is not YSeq seq || seq.Items.Count != 2 || seq.Items.Any(i => i is not YScalar))
        {
            problems.Add(node.Pos, $"{where}: expected [low, high] (two numbers), found {YamlLoader.Describe(node)}");
            return (double.NaN, double.NaN);
        }
        var v = new double[2];
        for (int i = 0; i < 2; i++)
        {
            var s = (YScalar)seq.Items[i];
            if (!double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !double.IsFinite(v[i]))
            {
                problems.Add(s.Pos, $"{where}: expected a number, found '{s.Value}'");
                return (double.NaN, double.NaN);
            }
        }
        if (v[0] > v[1])
        {
            problems.Add(node.Pos, $"{where}: expected low <= high, found [{seq.Items[0]}, {seq.Items[1]}]");
            return (double.NaN, double.NaN);
        }
        return (v[0], v[1]);
    }

    static IReadOnlyList<string> StageList(MapReader r, string where, Problems problems)
    {
        var node = r.Node("from");
        if (node is null)
        {
            problems.Add(r.Map.Pos, $"missing key 'from' in {where}: expected a list of stage names");
            return [];
        }
        var items = node is YSeq seq ? seq.Items : [node];
        var names = new List<string>();
        foreach (var item in items)
        {
            if (item is YScalar s && CostProfileSchema.StageNames.Contains(s.Value))
            {
                names.Add(s.Value);
                continue;
            }
            string found = item is YScalar f ? $"'{f.Value}'" : YamlLoader.Describe(item);
            string? hint = item is YScalar h ? Problems.Suggest(h.Value, CostProfileSchema.StageNames) : null;
            problems.Add(item.Pos, $"{where}.from: expected a stage name, found {found}" + (hint is null ? "" : $" (did you mean '{hint}'?)"));
        }
        return names;
    }
}
