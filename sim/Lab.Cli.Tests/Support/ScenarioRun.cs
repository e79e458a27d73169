using System.Globalization;

namespace Lab.Cli.Tests;

/// <summary>Runs `lab` in process, and a scenario through `lab run`, reading back its metrics.csv.</summary>
static class ScenarioRun
{
    public static (int Code, string Out, string Err) Lab(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = LabCommand.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>Writes <paramref name="yaml"/> into <paramref name="dir"/>, runs it, and returns replication 0's metrics by (point, metric).</summary>
    public static Dictionary<(int Point, string Metric), double> Metrics(string dir, string yaml)
    {
        string f = Path.Combine(dir, "s.yaml");
        File.WriteAllText(f, yaml);
        string outDir = Path.Combine(dir, "out");
        var (code, _, err) = Lab("run", f, "--out", outDir, "--no-store");
        Assert.True(code == 0, err);
        var result = new Dictionary<(int, string), double>();
        var lines = File.ReadAllLines(Path.Combine(outDir, "metrics.csv"));
        var header = lines[0].Split(',');
        int metricCol = Array.IndexOf(header, "metric"), valueCol = Array.IndexOf(header, "value"), repCol = Array.IndexOf(header, "replication");
        foreach (var l in lines.Skip(1))
        {
            var c = l.Split(',');
            if (c[repCol] != "0") continue;
            result[(int.Parse(c[0], CultureInfo.InvariantCulture), c[metricCol])] = double.Parse(c[valueCol], CultureInfo.InvariantCulture);
        }
        return result;
    }
}
