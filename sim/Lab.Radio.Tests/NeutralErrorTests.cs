using Lab.Core;
using Lab.Radio.Keepalive;
using Lab.Radio.Power;
using Lab.Radio.Reordering;

namespace Lab.Radio.Tests;

/// <summary>
/// The radio models report bad values by parameter, as data, and never by a command-line flag:
/// the front end decides how the parameter is spelt (issue 17).
/// </summary>
public class NeutralErrorTests
{
    static readonly Func<string, string> Upper = n => "<" + n.ToUpperInvariant() + ">";

    [Fact]
    public void Unknown_radio_names_the_radio_parameter()
    {
        var e = Assert.Throws<ParameterException>(() => RrcProfiles.For("wifi"));
        var p = Assert.Single(e.Problems);
        Assert.Equal("radio", p.Parameter);
        Assert.Equal("<RADIO>: expected lte, 3g or nr, found 'wifi'", p.Render(Upper));
        Assert.DoesNotContain("--", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_many_keepalives_names_both_the_interval_and_the_duration_through_the_front_end()
    {
        // 1 s / 1 ps + 1 = 10^12 + 1 keepalives, above the 10^7 limit; 10^12 ps / 10^7 + 1 ps = 100.001 ns.
        var e = Assert.Throws<ParameterException>(() => KeepaliveEnergy.CheckCount(1, SimTime.Second));
        Assert.Equal("<INTERVAL>: expected at most 10000000 keepalives over <DURATION> 1s, found 1000000000001 at 1ps; use an interval of at least 100.001ns",
            Assert.Single(e.Render(Upper)));
        Assert.Equal("interval: expected at most 10000000 keepalives over duration 1s, found 1000000000001 at 1ps; use an interval of at least 100.001ns", e.Message);
    }

    [Fact]
    public void Keepalive_size_is_reported_as_the_bytes_parameter()
    {
        var e = Assert.Throws<ParameterException>(() =>
            KeepaliveReport.Write(TextWriter.Null, new KeepaliveReportOptions("lte", SimTime.Second, SimTime.Second, null, 0)));
        Assert.Equal("bytes", Assert.Single(e.Problems).Parameter);
        Assert.Equal("<BYTES>: expected a positive packet size, found 0B", e.Render(Upper)[0]);
    }

    [Fact]
    public void Nat_timeout_problems_name_the_nat_timeout_parameter()
    {
        var e = Assert.Throws<ParameterException>(() => KeepaliveSweepReport.ParseNatTimeout("uniform:300s..30s"));
        Assert.Equal("<NAT-TIMEOUT>: expected 0 < MIN <= MAX, found 'uniform:300s..30s'", e.Render(Upper)[0]);
    }

    [Fact]
    public void Reorder_report_without_times_gives_the_front_ends_hint_or_none()
    {
        // Two untimed arrivals: the rule of thumb cannot be evaluated.
        var trace = ReorderReport.ReadText(new StringReader("1\n2\n"), "t");
        string Line(ReorderReportOptions o)
        {
            var w = new StringWriter();
            ReorderReport.Write(trace, o, new NoDrops(), w);
            return w.ToString().Split('\n').Single(l => l.StartsWith("rule of thumb", StringComparison.Ordinal));
        }
        var plain = new ReorderReportOptions([32], 0, 3, 1);
        Assert.Equal("rule of thumb       n/a: the input has no arrival times", Line(plain));
        Assert.Equal("rule of thumb       n/a: the input has no arrival times (give times)", Line(plain with { ArrivalTimesHint = "give times" }));
    }

    /// <summary>A replay window that drops nothing: the rule-of-thumb line does not depend on it without times.</summary>
    sealed class NoDrops : IReplayWindowModel
    {
        public string ModeName => "none";

        public uint MaxWindow => 32;

        public ReplayDrops Run(ReadOnlySpan<long> sequenceNumbers, uint window) => new(0, 0, 0);
    }
}
