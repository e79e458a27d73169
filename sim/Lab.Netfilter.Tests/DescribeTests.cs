using Lab.Core;

namespace Lab.Netfilter.Tests;

public class DescribeTests
{
    [Theory]
    [InlineData("conntrack", "conntrack.udp_timeout", "30s")]
    [InlineData("nat", "nat.max_attempts", "128, halving per round, last round 8: at most 248")]
    [InlineData("flowtable", "flowtable.timeout_udp", "30s")]
    [InlineData("flowtable", "cost.fast_path_xmit", "120ns")]
    [InlineData("natt-mapping", "natt.daemon_reaction", "100ms")]
    public void Each_model_declares_its_parameters_with_defaults(string model, string key, string expectedDefault)
    {
        var d = NetfilterModels.Describe(model);
        Assert.Equal(model, d.Name);
        var p = Assert.Single(d.Parameters, x => x.Key == key);
        Assert.Equal(expectedDefault, p.Default);
        Assert.All(d.Parameters, x => Assert.False(string.IsNullOrWhiteSpace(x.Source)));
    }

    [Fact]
    public void Cost_parameters_say_they_are_assumptions()
    {
        var d = NetfilterModels.Describe("flowtable");
        Assert.All(d.Parameters.Where(p => p.Key.StartsWith("cost.", StringComparison.Ordinal)),
            p => Assert.StartsWith("ASSUMPTION", p.Source, StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_model_is_a_user_error()
    {
        var ex = Assert.Throws<LabInputException>(() => NetfilterModels.Describe("conntrak"));
        Assert.Contains("conntrack, nat, flowtable, natt-mapping", ex.Message, StringComparison.Ordinal);
    }
}
