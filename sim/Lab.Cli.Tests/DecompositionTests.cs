using Lab.Calibration;
using Lab.KernelLab.Calibration;

namespace Lab.Cli.Tests;

/// <summary>The increments and residuals of <c>lab calibrate --decompose</c> from per-pass values, worked by hand.</summary>
public sealed class DecompositionTests
{
    static readonly RouterConfig Ct = new() { Conntrack = true };
    static readonly RouterConfig CtMasq = new() { Conntrack = true, Masquerade = true };

    /// <summary>Each configuration less plain: conntrack 300, masquerade 200 more, a rule 10 ns plus 50 ns for having a chain, and <paramref name="extra"/> on the full combination.</summary>
    static Dictionary<RouterConfig, double> Pass(double extra, double scale = 1)
    {
        var p = new Dictionary<RouterConfig, double> { [RouterConfig.Plain] = 0, [Ct] = 300 * scale, [CtMasq] = 500 * scale };
        foreach (int n in Decomposition.RuleCounts) p[new RouterConfig { LinearRules = n }] = (50 + 10.0 * n) * scale;
        p[new RouterConfig { Conntrack = true, LinearRules = 300 }] = (300 + 50 + 3000) * scale;
        p[new RouterConfig { Conntrack = true, Masquerade = true, LinearRules = 300 }] = (500 + 50 + 3000) * scale + extra;
        return p;
    }

    [Fact]
    public void An_additive_kernel_has_zero_residuals_and_the_slope_and_intercept_of_its_rules()
    {
        var rows = Decomposition.Rows([Pass(0), Pass(0, scale: 2)]).ToDictionary(r => r.Name, r => r.Value.Mean);
        // Means over a pass at scale 1 and one at scale 2: 1.5 times each value.
        Assert.Equal(450, rows["conntrack"], 9);
        Assert.Equal(300, rows["masquerade"], 9);
        // (50 + 10 N) / N at N = 30: 11.667, x 1.5 = 17.5; at N = 1000: 10.05 x 1.5 = 15.075.
        Assert.Equal(17.5, rows["rule at N=30"], 9);
        Assert.Equal(15.075, rows["rule at N=1000"], 9);
        Assert.Equal(15, rows["rule, slope 30..1000"], 9);
        Assert.Equal(75, rows["rule, intercept"], 9);
        Assert.Equal((3350 - 300) / 300.0 * 1.5, rows["rule with conntrack at N=300"], 9);
        Assert.Equal(300, rows["masquerade with 300 rules"], 9);
        Assert.Equal(0, rows["residual of rules 300+ct"], 9);
        Assert.Equal(0, rows["residual of rules 300+ct+masq"], 9);
    }

    [Fact]
    public void A_superadditive_combination_shows_in_its_residual_and_in_masquerade_with_rules()
    {
        var rows = Decomposition.Rows([Pass(400), Pass(600)]).ToDictionary(r => r.Name, r => r.Value);
        Assert.Equal(500, rows["residual of rules 300+ct+masq"].Mean, 9);
        Assert.Equal(700, rows["masquerade with 300 rules"].Mean, 9); // 200 + 500
        Assert.Equal(0, rows["residual of rules 300+ct"].Mean, 9);
        // Two passes, 400 and 600: sd 141.42, t(1) 12.706: 500 +- 12.706 x 141.42 / sqrt 2 = 500 +- 1270.6.
        Assert.Equal(500 - 1270.62, rows["residual of rules 300+ct+masq"].Ci95Low, 0);
    }

    [Fact]
    public void The_least_squares_line_is_exact_on_points_that_lie_on_it()
    {
        Assert.Equal((2.0, 1.0), LinearFit.Of([0, 1, 2], [1, 3, 5]));
        Assert.Throws<ArgumentException>(() => LinearFit.Of([1, 1], [2, 3]));
    }
}
