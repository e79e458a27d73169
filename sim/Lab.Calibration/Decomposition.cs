using System.Globalization;
using Lab.KernelLab.Calibration;
using Lab.Results;

namespace Lab.Calibration;

/// <summary>How a decomposition run measures (<see cref="Decomposition"/>).</summary>
/// <param name="Packets">Packets per window and pass (rule windows above 300 rules get 300/N of them: their packets are slow).</param>
/// <param name="Repeat">Passes; every increment gets a mean and a 95% interval over them.</param>
/// <param name="Blocks">Blocks per window and pass, alternating ABBA as in a calibration.</param>
public sealed record DecompositionOptions(long Packets = 200_000, int Repeat = 6, int Blocks = 2, int FrameBytes = 64, int Flows = 1000, string Accounting = "proc-stat");

/// <summary>One increment: its value per pass summarised, and what it is.</summary>
public sealed record DecompositionRow(string Name, string Description, Summary Value, string Unit);

/// <summary>
/// Is the router's cost additive over its parts? Measures interleaved, in the same passes and blocks: plain forwarding,
/// conntrack, conntrack + masquerade, N linear rules for several N (no conntrack), 300 rules + conntrack and 300 rules +
/// conntrack + masquerade, each less plain forwarding block by block (paired). From each pass it derives the increments
/// a calibration charges separately (conntrack, masquerade, per rule at each N) and the same increments measured inside
/// the combination (per rule with conntrack on, masquerade with 300 rules), and the combination's residual: measured
/// less the sum of its calibrated parts. A residual or an increment whose interval excludes its separately measured
/// counterpart is not additive.
/// </summary>
public static class Decomposition
{
    public static IReadOnlyList<int> RuleCounts { get; } = [30, 100, 300, 1000];

    /// <summary>The rule count of the combinations (the held-out timing scenarios').</summary>
    public const int CombinedRules = 300;

    static readonly RouterConfig Ct = new() { Conntrack = true };
    static readonly RouterConfig CtMasq = new() { Conntrack = true, Masquerade = true };
    static RouterConfig Rules(int n) => new() { LinearRules = n };
    static readonly RouterConfig RulesCt = new() { Conntrack = true, LinearRules = CombinedRules };
    static readonly RouterConfig RulesCtMasq = new() { Conntrack = true, Masquerade = true, LinearRules = CombinedRules };

    public static IReadOnlyList<RouterConfig> Configs { get; } =
        [RouterConfig.Plain, Ct, CtMasq, .. RuleCounts.Select(Rules), RulesCt, RulesCtMasq];

    public static IReadOnlyList<DecompositionRow> Run(IKernelCostMeter meter, DecompositionOptions options, Action<string>? progress, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var c in Configs)
            if (meter.TryConfigure(c) is string why) throw new InvalidOperationException($"the kernel refused {c}: {why}");
        bool thread = options.Accounting == "thread";
        int blocks = Math.Max(1, options.Blocks);
        int? cpu = meter.SuggestedInjectorCpu;
        var perPass = new List<Dictionary<RouterConfig, double>>();
        for (int pass = 0; pass < options.Repeat; pass++)
        {
            var got = Configs.ToDictionary(c => c, _ => new List<double>());
            for (int block = 0; block < blocks; block++)
                foreach (var c in PairedDifferences.Order(Configs, pass, blocks, block))
                {
                    long packets = Math.Max(1000, (long)(options.Packets * Math.Min(1.0, (double)CombinedRules / Math.Max(1, c.LinearRules))) / blocks);
                    var s = meter.Measure(c, new MeterLoad { Packets = packets, FrameBytes = options.FrameBytes, Flows = options.Flows, InjectorCpu = cpu }, ct);
                    if (s.Forwarded == 0) throw new InvalidOperationException($"window '{c}': none of {s.Sent} packets reached the sink; the topology is broken");
                    double ns = thread ? s.InjectorThreadNsPerPacket : s.BusyNsPerPacket;
                    got[c].Add(ns);
                    progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"pass {pass + 1}/{options.Repeat} block {block + 1}/{blocks}  {c,-28} {ns,8:F1} ns/packet"));
                }
            // Each configuration less plain forwarding, paired block by block, median over the blocks.
            perPass.Add(Configs.ToDictionary(c => c, c => PairedDifferences.Median(got[c], got[RouterConfig.Plain])));
        }
        return Rows(perPass);
    }

    /// <summary>The increments and residuals from per-pass values of each configuration less plain forwarding (ns/packet).</summary>
    public static IReadOnlyList<DecompositionRow> Rows(IReadOnlyList<IReadOnlyDictionary<RouterConfig, double>> perPass)
    {
        ArgumentNullException.ThrowIfNull(perPass);
        var rows = new List<DecompositionRow>();
        void Add(string name, string description, Func<IReadOnlyDictionary<RouterConfig, double>, double> f, string unit = "ns/packet") =>
            rows.Add(new DecompositionRow(name, description, Summary.Of([.. perPass.Select(f)]), unit));
        Add("conntrack", "ct - plain", p => p[Ct]);
        Add("masquerade", "ct+masq - ct", p => p[CtMasq] - p[Ct]);
        foreach (int n in RuleCounts)
            Add($"rule at N={n}", $"(rules {n} - plain) / {n}", p => p[Rules(n)] / n, "ns/rule");
        Add("rule, slope 30..1000", "least-squares slope of rules N - plain over N = " + string.Join(", ", RuleCounts), p => Slope(p), "ns/rule");
        Add("rule, intercept", "the same fit's intercept (a fixed cost of having a rule chain)", p => Intercept(p));
        Add($"rule with conntrack at N={CombinedRules}", $"(rules {CombinedRules}+ct - ct) / {CombinedRules}", p => (p[RulesCt] - p[Ct]) / CombinedRules, "ns/rule");
        Add($"masquerade with {CombinedRules} rules", $"rules {CombinedRules}+ct+masq - rules {CombinedRules}+ct", p => p[RulesCtMasq] - p[RulesCt]);
        Add($"residual of rules {CombinedRules}+ct", $"rules {CombinedRules}+ct - (ct + rules {CombinedRules}), all less plain", p => p[RulesCt] - p[Ct] - p[Rules(CombinedRules)]);
        Add($"residual of rules {CombinedRules}+ct+masq", $"rules {CombinedRules}+ct+masq - (ct + masquerade + rules {CombinedRules}), all less plain",
            p => p[RulesCtMasq] - p[CtMasq] - p[Rules(CombinedRules)]);
        Add($"rules {CombinedRules}+ct+masq", "the combination less plain", p => p[RulesCtMasq]);
        return rows;
    }

    static (double Slope, double Intercept) Fit(IReadOnlyDictionary<RouterConfig, double> p)
    {
        double[] x = [.. RuleCounts.Select(n => (double)n)];
        double[] y = [.. RuleCounts.Select(n => p[Rules(n)])];
        return LinearFit.Of(x, y);
    }

    static double Slope(IReadOnlyDictionary<RouterConfig, double> p) => Fit(p).Slope;

    static double Intercept(IReadOnlyDictionary<RouterConfig, double> p) => Fit(p).Intercept;
}

/// <summary>Ordinary least squares of y on x.</summary>
public static class LinearFit
{
    public static (double Slope, double Intercept) Of(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count || x.Count < 2) throw new ArgumentException($"a line needs two or more points, one y per x; found {x.Count} x and {y.Count} y");
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        if (sxx == 0) throw new ArgumentException("a line needs two distinct x");
        double slope = sxy / sxx;
        return (slope, my - slope * mx);
    }
}
