using Lab.Esp.Replay;
using Lab.Esp.Sa;
using Lab.Esp.Spd;

namespace Lab.Esp.Tests;

public class SpdSadTests
{
    static XfrmFlow Flow(string s, string d, byte proto = 6, ushort sport = 1234, ushort dport = 80) =>
        new(XfrmAddress.Parse(s), XfrmAddress.Parse(d), proto, sport, dport);

    [Fact]
    public void The_lowest_priority_value_wins_regardless_of_insertion_order()
    {
        var spd = new XfrmPolicyTable();
        spd.Add(new XfrmPolicy(XfrmSelector.Create("0.0.0.0/0", "10.0.0.0/8"), XfrmPolicyDir.Out, 100, XfrmPolicyAction.Allow, 0));
        spd.Add(new XfrmPolicy(XfrmSelector.Create("0.0.0.0/0", "10.1.0.0/16"), XfrmPolicyDir.Out, 50, XfrmPolicyAction.Block));
        Assert.Equal(XfrmPolicyAction.Block, spd.Lookup(XfrmPolicyDir.Out, Flow("192.0.2.1", "10.1.2.3"))!.Action);
        Assert.Equal(0, spd.Lookup(XfrmPolicyDir.Out, Flow("192.0.2.1", "10.2.0.1"))!.SaIndex);
        Assert.Null(spd.Lookup(XfrmPolicyDir.In, Flow("192.0.2.1", "10.2.0.1")));
        Assert.Null(spd.Lookup(XfrmPolicyDir.Out, Flow("192.0.2.1", "11.0.0.1")));
    }

    [Fact]
    public void Equal_priorities_go_to_the_policy_inserted_first()
    {
        var spd = new XfrmPolicyTable();
        spd.Add(new XfrmPolicy(XfrmSelector.Create("0.0.0.0/0", "10.0.0.0/8"), XfrmPolicyDir.Fwd, 7, XfrmPolicyAction.Allow, 1));
        spd.Add(new XfrmPolicy(XfrmSelector.Create("0.0.0.0/0", "10.0.0.0/24"), XfrmPolicyDir.Fwd, 7, XfrmPolicyAction.Allow, 2));
        Assert.Equal(1, spd.Lookup(XfrmPolicyDir.Fwd, Flow("1.2.3.4", "10.0.0.9"))!.SaIndex);
    }

    [Fact]
    public void Ports_and_protocol_match_under_their_masks()
    {
        var ike = XfrmSelector.Create("0.0.0.0/0", "0.0.0.0/0", proto: 17, dport: 4500);
        Assert.True(ike.Matches(Flow("1.1.1.1", "2.2.2.2", 17, 4500, 4500)));
        Assert.False(ike.Matches(Flow("1.1.1.1", "2.2.2.2", 17, 4500, 500)));
        Assert.False(ike.Matches(Flow("1.1.1.1", "2.2.2.2", 6, 4500, 4500)));
        var any = XfrmSelector.Create("2001:db8::/32", "::/0");
        Assert.True(any.Matches(Flow("2001:db8:1::5", "2001:db9::1", 58, 0, 0)));
        Assert.False(any.Matches(Flow("2001:db9::5", "2001:db8::1", 58, 0, 0)));
        Assert.False(any.Matches(Flow("10.0.0.1", "10.0.0.2"))); // other family
    }

    [Fact]
    public void Sa_lookup_by_spi_destination_and_protocol_counts_misses_in_XfrmInNoStates()
    {
        var dst = XfrmAddress.Parse("192.0.2.1");
        var table = new XfrmStateTable();
        var sa = new XfrmStateIn(new XfrmId(0x1000, dst, XfrmId.IpprotoEsp), XfrmMode.Tunnel, EspEncap.EspInUdp,
            XfrmReplay.Create(XfrmReplayMode.Bmp, 128));
        table.Add(sa);
        var mib = new XfrmMib();
        Assert.Same(sa, table.Lookup(new XfrmId(0x1000, dst, XfrmId.IpprotoEsp), mib));
        Assert.Null(table.Lookup(new XfrmId(0x1001, dst, XfrmId.IpprotoEsp), mib));
        Assert.Null(table.Lookup(new XfrmId(0x1000, XfrmAddress.Parse("192.0.2.2"), XfrmId.IpprotoEsp), mib));
        Assert.Null(table.Lookup(new XfrmId(0x1000, dst, 51), mib));
        Assert.Equal(3ul, mib.XfrmInNoStates);
        Assert.Throws<InvalidOperationException>(() => table.Add(sa));

        // Plain ESP to a UDP-encapsulated SA: XfrmInStateMismatch before any replay check.
        Assert.Equal(DropReason.StateMismatch, sa.InputBegin(1, EspEncap.None, mib, out _));
        Assert.Equal(1ul, mib.XfrmInStateMismatch);
        Assert.Equal(0ul, mib.XfrmInStateSeqError);
    }
}
