using Lab.Calibration;
using Lab.Netfilter.Flowtable;
using Lab.Scenarios.Profiles;

namespace Lab.Experiments.Tests;

public class ProfileBuilderTests
{
    static IReadOnlyCollection<string>? ForwardKeys(string element) =>
        element == "forward" ? [.. ForwardingCosts.Parameters().Select(p => p.Key["cost.".Length..])] : null;

    [Fact]
    public void Stages_set_the_forward_keys_they_measure()
    {
        ProfileStage S(string name, double ns, double half) => new(name, ns, ns - half, ns + half, null, 5);
        var costs = ProfileBuilder.Costs(
        [
            S("forward", 330, 33), S("conntrack_new", 1500, 150), S("nat_established", 200, 20), S("linear_rule", -0.5, 1),
            ProfileStage.Unmeasured("set_lookup", "no"),
        ], label: null).ToDictionary(c => c.Key);
        // 330 ns in the defaults' proportions 80:60:40:150 (sum 330) is exactly the defaults in ns.
        Assert.Equal((80_000L, 60_000L, 40_000L, 150_000L), (costs["rx_ingress"].ValuePs, costs["routing"].ValuePs, costs["forward_chain"].ValuePs, costs["xmit"].ValuePs));
        Assert.Equal((72.0, 88.0), (costs["rx_ingress"].Ci95LowNs, costs["rx_ingress"].Ci95HighNs)); // 297 and 363 x 80/330
        // conntrack_new 1500 ns over conntrack_create:confirm = 600:150 -> 1200 + 300.
        Assert.Equal((1_200_000L, 300_000L), (costs["conntrack_create"].ValuePs, costs["confirm"].ValuePs));
        Assert.Equal(200_000L, costs["snat"].ValuePs);
        Assert.Equal(0L, costs["dnat"].ValuePs);
        // A negative measured cost is written as 0 with the measurement in the note; its interval is kept.
        Assert.Equal(0L, costs["per_linear_rule"].ValuePs);
        Assert.Equal((-1.5, 0.5), (costs["per_linear_rule"].Ci95LowNs, costs["per_linear_rule"].Ci95HighNs));
        Assert.Contains("measured -0.5 ns; a cost cannot be negative, so 0", costs["per_linear_rule"].Note, StringComparison.Ordinal);
        Assert.False(costs.ContainsKey("per_set_lookup"));
        Assert.All(costs.Values, c => Assert.Contains(c.Key, ForwardKeys("forward")!));
    }

    [Fact]
    public void Every_shipped_profile_reads_with_the_models_cost_keys()
    {
        string dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "scenarios", "profiles"))) dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("no scenarios/profiles");
        var files = Directory.GetFiles(Path.Combine(dir, "scenarios", "profiles"), "*.yaml");
        Assert.NotEmpty(files);
        foreach (string f in files)
        {
            var p = CostProfileReader.Read(f, ForwardKeys);
            Assert.NotEmpty(p.Costs);
            Assert.All(p.Stages.Where(s => s.IsMeasured), s => Assert.InRange(s.Ns, s.Ci95Low, s.Ci95High));
        }
    }
}
