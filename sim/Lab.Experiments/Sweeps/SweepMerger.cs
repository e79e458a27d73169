using System.Globalization;
using System.Text;
using Lab.Core;
using Lab.Results;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// Merges sweep folders (typically the shards of a Slurm job array) into one run set: every
/// folder must be a sweep of the same resolved scenario; every (point, replication) of the plan
/// must come from exactly one folder. A run found in two folders is refused (a folder passed
/// twice, or shards of different splits); missing runs are listed, with the shards they belong to.
/// </summary>
public static class SweepMerger
{
    public sealed record Merged(SweepManifest Manifest, RunSet? Set, IReadOnlyList<RunKey> Missing, int Runs, int Ignored);

    public static Merged Merge(IReadOnlyList<string> dirs)
    {
        if (dirs.Count == 0) throw ParameterException.Mentioning(new CommandName("merge"), ": expected one or more sweep folders, found none");
        SweepManifest? first = null;
        string firstDir = "";
        var source = new Dictionary<RunKey, string>();
        var results = new Dictionary<RunKey, ReplicationResult>();
        int ignored = 0;
        foreach (var d in dirs)
        {
            var folder = new SweepFolder(d);
            if (!Directory.Exists(folder.Dir)) throw new LabInputException($"{d}: no such folder");
            var m = SweepManifest.Read(folder.Dir);
            if (m.Precision is not null)
                throw ParameterException.Mentioning($"{d}: a ", new ParameterName("precision"), " sweep chooses its replications as it runs; it is complete in its own folder and is not merged");
            if (first is null)
            {
                first = m;
                firstDir = d;
            }
            else if (m.RunHash != first.RunHash || m.ResolvedYaml != first.ResolvedYaml)
            {
                throw new LabInputException($"{d}: a sweep of a different scenario than {firstDir} (scenario hash {ResultsWriter.Hash(m.ResolvedYaml)[..12]} vs {ResultsWriter.Hash(first.ResolvedYaml)[..12]})");
            }
            foreach (var key in folder.RunKeys())
            {
                if (key.Point >= first.Points || key.Replication >= first.Replications)
                {
                    ignored++;
                    continue;
                }
                if (source.TryGetValue(key, out var other))
                    throw new LabInputException($"{d}: run {key} is also in {other}; each run must come from one folder only (a folder given twice, or shards of different splits?)");
                results[key] = folder.ReadRun(key, first.RunHash);
                source[key] = d;
            }
        }
        var manifest = first!;
        var missing = new List<RunKey>();
        var points = new List<PointResult>();
        for (int p = 0; p < manifest.Points; p++)
        {
            var reps = new List<ReplicationResult>();
            for (int r = 0; r < manifest.Replications; r++)
            {
                if (results.TryGetValue(new RunKey(p, r), out var res)) reps.Add(res);
                else missing.Add(new RunKey(p, r));
            }
            points.Add(new PointResult(p, manifest.PointParameters[p], reps));
        }
        var set = missing.Count == 0 ? manifest.ToRunSet(points) : null;
        return new Merged(manifest, set, missing, results.Count, ignored);
    }

    /// <summary>"6 of 24 runs missing: p0-r1, p1-r0, ... (shards 1/4, 3/4 have none of theirs)"; the commands to run named by <paramref name="wording"/>.</summary>
    public static string DescribeMissing(Merged m, IReadOnlyList<string> dirs, Wording wording)
    {
        ArgumentNullException.ThrowIfNull(wording);
        var inv = CultureInfo.InvariantCulture;
        int total = m.Manifest.Points * m.Manifest.Replications;
        var sb = new StringBuilder();
        sb.Append(inv, $"{m.Missing.Count} of {total} run(s) missing: ");
        sb.Append(string.Join(", ", m.Missing.Take(20)));
        if (m.Missing.Count > 20) sb.Append(inv, $", ... and {m.Missing.Count - 20} more");
        int n = m.Manifest.Shard.Count;
        if (n > 1)
        {
            var byShard = m.Missing.GroupBy(k => (int)(((long)k.Point * m.Manifest.Replications + k.Replication) % n)).OrderBy(g => g.Key);
            sb.Append(inv, $"\nby shard of {n}: ");
            sb.Append(string.Join(", ", byShard.Select(g => $"shard {g.Key}/{n} misses {g.Count()}")));
        }
        sb.Append(inv, $"\nmerged folders: {string.Join(' ', dirs)}; run the missing shards (or ");
        sb.Append(wording.Render("`", new CommandName("sweep"), " ", new ParameterName("shard"), " I/N ", new ParameterName("out"), "` the same folder to resume one), then merge again"));
        return sb.ToString();
    }
}
