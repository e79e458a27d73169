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
    [InlineData("natt-mapping", "natt.line_rate", "10Gbit/s")]
    [InlineData("natt-mapping", "natt.frame", "1518B")]
    [InlineData("natt-mapping", "natt.nat_timeout", "30s")]
    [InlineData("natt-mapping", "natt.keepalive", "20s")]
    [InlineData("natt-mapping", "natt.dpd", "0 (off)")]
    public void Each_model_declares_its_parameters_with_defaults(string model, string key, string expectedDefault)
    {
        var d = NetfilterModels.Describe(model);
        Assert.Equal(model, d.Name);
        var p = Assert.Single(d.Parameters, x => x.Key == key);
        Assert.Equal(expectedDefault, p.Default);
        Assert.All(d.Parameters, x => Assert.False(string.IsNullOrWhiteSpace(x.Source)));
    }

    /// <summary>
    /// The rows generated from the model's constants, against the kernel's values written out here
    /// independently: tcp_timeouts[] and udp_timeouts[] (nf_conntrack_proto_tcp.c, _udp.c), NF_CT_EVICTION_RANGE,
    /// GC_SCAN_INTERVAL_MIN/MAX (nf_conntrack_core.c), NF_NAT_MAX_ATTEMPTS and NF_NAT_HARDER_THRESH (nf_nat_core.c),
    /// the flowtable's HZ gc and refresh step and 30 s timeouts, and the lab's stated assumptions.
    /// </summary>
    [Theory]
    [InlineData("conntrack", "kernel", "6.12")]
    [InlineData("conntrack", "conntrack.early_drop_buckets", "8")]
    [InlineData("conntrack", "conntrack.udp_timeout_stream", "2min")]
    [InlineData("conntrack", "conntrack.tcp_timeout_*", "SYN_SENT 2min, SYN_RECV 1min, ESTABLISHED 5d, FIN_WAIT 2min, CLOSE_WAIT 1min, LAST_ACK 30s, TIME_WAIT 2min, CLOSE 10s, UNACK 5min")]
    [InlineData("conntrack", "conntrack.hz", "250")]
    [InlineData("conntrack", "conntrack.gc_interval", "avg remaining timeout, clamped 1s..1min")]
    [InlineData("conntrack", "conntrack.conn_object", "256")]
    [InlineData("conntrack", "conntrack.ext_bytes", "128")]
    [InlineData("nat", "nat.seq_advanced_probability", "0.5")]
    [InlineData("flowtable", "flowtable.timeout_tcp", "30s")]
    [InlineData("flowtable", "flowtable.refresh_min_step", "1s")]
    [InlineData("flowtable", "flowtable.gc_interval", "1s")]
    [InlineData("flowtable", "flowtable.hw_capacity", "65536")]
    [InlineData("flowtable", "flowtable.hw_insert_latency", "1ms")]
    public void Each_generated_default_is_the_models_constant(string model, string key, string expected) =>
        Assert.Equal(expected, Assert.Single(NetfilterModels.Describe(model).Parameters, x => x.Key == key).Default);

    [Fact]
    public void The_harder_eviction_row_names_the_models_threshold()
    {
        var row = Assert.Single(NetfilterModels.Describe("nat").Parameters, x => x.Key == "nat.harder_eviction");
        // NF_NAT_HARDER_THRESH = NF_NAT_MAX_ATTEMPTS / 4 = 128 / 4.
        Assert.Contains("NF_NAT_HARDER_THRESH = 32", row.Source, StringComparison.Ordinal);
        Assert.StartsWith("last 32 checks", row.Description, StringComparison.Ordinal);
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
