using System.Globalization;
using System.Text;
using Lab.Core;

namespace Lab.Scenarios.Profiles;

/// <summary>Writes a <see cref="CostProfile"/> as YAML, deterministically, in the order of <see cref="CostProfileSchema"/>.</summary>
public static class CostProfileWriter
{
    public static string ToYaml(CostProfile p)
    {
        var sb = new StringBuilder();
        sb.Append("# Per-packet costs measured by the lab's calibration; keys: scenarios/README.md, \"Cost profiles\".\n");
        Line(sb, 0, "format", CostProfile.FormatTag);
        Line(sb, 0, "machine", Quote(p.Machine));
        Line(sb, 0, "measured", p.Measured.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        Line(sb, 0, "lab_commit", Quote(p.LabCommit));
        sb.Append("kernel:\n");
        Line(sb, 2, "release", Quote(p.Kernel.Release));
        Line(sb, 2, "where", p.Kernel.Where);
        Line(sb, 2, "emulated", p.Kernel.Emulated ? "true" : "false");
        sb.Append("cpu:\n");
        Line(sb, 2, "model", Quote(p.Cpu.Model));
        Line(sb, 2, "cpus", Int(p.Cpu.Cpus));
        sb.Append("method:\n");
        Line(sb, 2, "packets", Int(p.Method.Packets));
        Line(sb, 2, "repeat", Int(p.Method.Repeat));
        Line(sb, 2, "frame", Int(p.Method.FrameBytes) + "B");
        Line(sb, 2, "flows", Int(p.Method.Flows));
        Line(sb, 2, "accounting", Quote(p.Method.Accounting));
        Line(sb, 2, "pinning", Quote(p.Method.Pinning));
        sb.Append("stages:\n");
        foreach (var s in p.Stages)
        {
            sb.Append("  ").Append(s.Name).Append(":\n");
            if (!s.IsMeasured)
            {
                Line(sb, 4, "not_measured", Quote(s.NotMeasured!));
            }
            else
            {
                Line(sb, 4, "ns", Num(s.Ns));
                Line(sb, 4, "ci95", $"[{Num(s.Ci95Low)}, {Num(s.Ci95High)}]");
                if (s.SoftirqNs is double soft) Line(sb, 4, "softirq_ns", Num(soft));
                Line(sb, 4, "n", Int(s.N));
            }
            if (s.Label is not null) Line(sb, 4, "label", Quote(s.Label));
        }
        if (p.Costs.Count == 0)
        {
            sb.Append("costs: {}\n");
            return sb.ToString();
        }
        sb.Append("costs:\n");
        foreach (string element in p.Costs.Select(c => c.Element).Distinct())
        {
            sb.Append("  ").Append(element).Append(":\n");
            foreach (var c in p.Costs.Where(c => c.Element == element))
            {
                sb.Append("    ").Append(c.Key).Append(":\n");
                Line(sb, 6, "value", SimTime.Format(c.ValuePs));
                Line(sb, 6, "ci95", $"[{Num(c.Ci95LowNs)}, {Num(c.Ci95HighNs)}]");
                Line(sb, 6, "from", "[" + string.Join(", ", c.From) + "]");
                if (c.Note is not null) Line(sb, 6, "note", Quote(c.Note));
                if (c.Label is not null) Line(sb, 6, "label", Quote(c.Label));
            }
        }
        return sb.ToString();
    }

    static void Line(StringBuilder sb, int indent, string key, string value) => sb.Append(' ', indent).Append(key).Append(": ").Append(value).Append('\n');

    static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Three decimals at most: a per-rule cost of a few nanoseconds keeps its picoseconds.</summary>
    public static string Num(double v) => Math.Round(v, 3).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Always double-quoted, so free text (colons, '#') can never change the document's structure.</summary>
    static string Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}

/// <summary>Writes a profile file atomically, and never over a file that is not a cost profile the lab wrote.</summary>
public static class CostProfileFile
{
    public static void Write(CostProfile profile, string path)
    {
        string full = CheckWritable(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            // CreateNew: a name someone planted (a symlink) makes this fail instead of writing through it.
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(System.Text.Encoding.UTF8.GetBytes(profile.ToYaml()));
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Throws (bad input) unless <paramref name="path"/> may be written: a new file in an existing folder, or a cost profile. Returns the full path.</summary>
    public static string CheckWritable(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ParameterException("out", $"'{path}' is a directory; expected a file name");
        if (File.Exists(full) && !IsCostProfile(full))
            throw new ParameterException("out", $"'{path}' exists and is not a lab cost profile (its first key is not 'format: {CostProfile.FormatTag}'); not overwritten");
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir)) throw new ParameterException("out", $"the folder '{dir}' does not exist");
        return full;
    }

    static bool IsCostProfile(string path)
    {
        foreach (string line in File.ReadLines(path).Take(20))
        {
            string t = line.Trim();
            if (t.Length == 0 || t.StartsWith('#')) continue;
            return t == "format: " + CostProfile.FormatTag;
        }
        return false;
    }
}
