using Lab.Core;
using Lab.Netfilter.Conntrack;

namespace Lab.Netfilter.Tests;

public class ConntrackTests
{
    const long S = SimTime.Second;
    static readonly FlowTuple Udp = new(FlowTuple.Ip(10, 0, 0, 1), FlowTuple.Ip(192, 0, 2, 1), 40000, 53, IpProto.Udp);
    static readonly FlowTuple Tcp = new(FlowTuple.Ip(10, 0, 0, 1), FlowTuple.Ip(192, 0, 2, 1), 40000, 443, IpProto.Tcp);

    static ConntrackTable Table(string version = "6.12", int buckets = 1024, int max = 1024) =>
        new(new ConntrackConfig { Buckets = buckets, Max = max, Version = KernelVersion.Parse(version) });

    /// <summary>One packet through conntrack as nf_conntrack_in + confirm would handle it.</summary>
    static int Packet(ConntrackTable t, in FlowTuple tuple, long now, TcpFlags flags = TcpFlags.None)
    {
        int id = t.Find(tuple, now, out var dir);
        bool isNew = id < 0;
        if (isNew) id = t.InitConntrack(tuple, now, out _);
        Assert.True(id >= 0);
        var v = t.HandlePacket(id, isNew ? CtDir.Original : dir, flags, now);
        if (v == CtVerdict.Repeat) return Packet(t, tuple, now, flags);
        if (isNew) Assert.Equal(CtVerdict.Accept, t.Confirm(id, now, out id, out _));
        return id;
    }

    [Theory]
    [InlineData(16L * 1024 * 1024 * 1024, "6.12", 262144, 262144)] // > 4 GiB
    [InlineData(2L * 1024 * 1024 * 1024, "6.12", 65536, 65536)]    // > 1 GiB
    [InlineData(512L * 1024 * 1024, "6.12", 4096, 4096)]           // 512 MiB / 16384 / 8 = 4096
    [InlineData(64L * 1024 * 1024, "6.12", 1024, 1024)]            // 512, raised to the 1024 minimum
    [InlineData(2L * 1024 * 1024 * 1024, "5.10", 16384, 65536)]    // old: 16384 above 1 GiB, max 4 x
    [InlineData(16L * 1024 * 1024 * 1024, "4.19", 65536, 262144)]  // old: 65536 above 4 GiB
    public void Table_is_sized_as_nf_conntrack_init_start_sizes_it(long ram, string version, int buckets, int max)
    {
        Assert.Equal((buckets, max), ConntrackSizing.Defaults(ram, KernelVersion.Parse(version)));
    }

    [Fact]
    public void A_given_hashsize_is_rounded_to_512_and_max_is_8_times()
    {
        Assert.Equal((1024, 8192), ConntrackSizing.Defaults(8L << 30, KernelVersion.Default, hashsize: 1000));
    }

    [Fact]
    public void Memory_per_million_entries()
    {
        // 10^6 x (256 B nf_conn + 128 B extensions) + 262,144 buckets x 8 B = 384,000,000 + 2,097,152
        Assert.Equal(386_097_152, ConntrackSizing.MemoryBytes(1_000_000, 262144));
    }

    [Fact]
    public void Unreplied_udp_expires_at_exactly_30_seconds()
    {
        var t = Table();
        int id = Packet(t, Udp, 0);
        Assert.Equal(30 * S, t.Entry(id).Timeout);
        Assert.Equal(id, t.Find(Udp, 30 * S - 1, out _));
        Assert.Equal(-1, t.Find(Udp, 30 * S, out _)); // nf_ct_is_expired: timeout - now <= 0
        Assert.Equal(0, t.Count);                     // the lookup freed it
    }

    [Fact]
    public void Udp_stream_timeout_needs_a_reply_and_a_packet_after_two_seconds()
    {
        var t = Table();
        int id = Packet(t, Udp, 0);
        Packet(t, Udp.Invert(), 100 * SimTime.Millisecond);
        // the first reply is still refreshed with 30 s: SEEN_REPLY is set after the tracker ran
        Assert.Equal(30_100 * SimTime.Millisecond, t.Entry(id).Timeout);
        Assert.True(t.Entry(id).Is(ConntrackStatus.SeenReply));
        Packet(t, Udp, 2 * S); // not after stream_ts = 2 s (time_after is strict): 30 s and not yet ASSURED
        Assert.Equal(32 * S, t.Entry(id).Timeout);
        Assert.False(t.Entry(id).Is(ConntrackStatus.Assured));
        Packet(t, Udp, 2500 * SimTime.Millisecond);
        Assert.Equal(122_500 * SimTime.Millisecond, t.Entry(id).Timeout); // 120 s stream timeout
        Assert.True(t.Entry(id).Is(ConntrackStatus.Assured)); // set when the stream timeout is granted
    }

    [Fact]
    public void Before_5_16_a_reply_alone_grants_the_stream_timeout()
    {
        var t = Table("5.15");
        int id = Packet(t, Udp, 0);
        Packet(t, Udp.Invert(), 100 * SimTime.Millisecond);
        Packet(t, Udp, 1 * S);
        Assert.Equal(121 * S, t.Entry(id).Timeout);
    }

    [Fact]
    public void Tcp_handshake_states_timeouts_and_assured()
    {
        var t = Table();
        int id = Packet(t, Tcp, 0, TcpFlags.Syn);
        Assert.Equal(TcpState.SynSent, t.Entry(id).TcpState);
        Assert.Equal(120 * S, t.Entry(id).Timeout);
        Packet(t, Tcp.Invert(), 1 * S, TcpFlags.SynAck);
        Assert.Equal(TcpState.SynRecv, t.Entry(id).TcpState);
        Assert.Equal(61 * S, t.Entry(id).Timeout);
        Assert.False(t.Entry(id).Is(ConntrackStatus.Assured));
        Packet(t, Tcp, 2 * S, TcpFlags.Ack);
        Assert.Equal(TcpState.Established, t.Entry(id).TcpState);
        Assert.Equal(2 * S + 5 * SimTime.Day, t.Entry(id).Timeout);
        Assert.True(t.Entry(id).Is(ConntrackStatus.Assured));
        Packet(t, Tcp, 3 * S, TcpFlags.FinAck);
        Assert.Equal(TcpState.FinWait, t.Entry(id).TcpState);
        Assert.Equal(123 * S, t.Entry(id).Timeout);
        Packet(t, Tcp.Invert(), 4 * S, TcpFlags.Rst);
        Assert.Equal(TcpState.Close, t.Entry(id).TcpState);
        Assert.Equal(14 * S, t.Entry(id).Timeout);
    }

    [Fact]
    public void A_retransmitted_syn_does_not_renew_the_timeout()
    {
        // nf_conntrack_tcp_packet returns before refreshing on a SYN in SYN_SENT without a reply: the first SYN at 0 s
        // set tcp_syn_sent (120 s) to expire at 120 s; the SYN again at 50 s leaves it there (not 50 + 120 = 170 s).
        var t = Table();
        int id = Packet(t, Tcp, 0, TcpFlags.Syn);
        Assert.Equal(120 * S, t.Entry(id).Timeout);
        Assert.Equal(id, Packet(t, Tcp, 50 * S, TcpFlags.Syn));
        Assert.Equal(TcpState.SynSent, t.Entry(id).TcpState);
        Assert.Equal(120 * S, t.Entry(id).Timeout);
        // A reply is not a retransmitted SYN: the SYN/ACK at 60 s refreshes with tcp_syn_recv (60 s), to 120 s, and the
        // client's ACK at 61 s makes the entry ESTABLISHED, expiring at 61 s + 5 days.
        Packet(t, Tcp.Invert(), 60 * S, TcpFlags.SynAck);
        Assert.Equal(120 * S, t.Entry(id).Timeout);
        Packet(t, Tcp, 61 * S, TcpFlags.Ack);
        Assert.Equal(61 * S + 5 * SimTime.Day, t.Entry(id).Timeout);
    }

    [Fact]
    public void A_rst_before_any_reply_deletes_the_entry()
    {
        var t = Table();
        Packet(t, Tcp, 0, TcpFlags.Syn);
        int id = t.Find(Tcp, S, out _);
        t.HandlePacket(id, CtDir.Original, TcpFlags.Rst, S);
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Full_table_evicts_unassured_entries_from_nearby_buckets()
    {
        // 4 buckets, max 4: the 8-bucket early_drop window covers the whole table.
        var t = Table(buckets: 4, max: 4);
        for (ushort p = 1; p <= 4; p++) Packet(t, Udp with { SrcPort = p }, 0);
        Assert.Equal(4, t.Count);
        int id = t.InitConntrack(Udp with { SrcPort = 5 }, S, out var reason);
        Assert.True(id >= 0);
        Assert.Equal(CtDropReason.None, reason);
        Assert.True(t.Stats.early_drop >= 1);
        Assert.Equal(4 - t.Stats.early_drop + 1, t.Count);
    }

    [Fact]
    public void Full_table_of_assured_entries_drops_the_packet()
    {
        var t = Table(buckets: 4, max: 4);
        for (ushort p = 1; p <= 4; p++)
        {
            var u = Udp with { SrcPort = p };
            Packet(t, u, 0);
            Packet(t, u.Invert(), 0);
            Packet(t, u, 3 * S); // SEEN_REPLY -> ASSURED
        }
        int id = t.InitConntrack(Udp with { SrcPort = 5 }, 4 * S, out var reason);
        Assert.Equal(-1, id);
        Assert.Equal(CtDropReason.TableFull, reason);
        Assert.Equal(1, t.Stats.drop);
        Assert.Equal(0, t.Stats.early_drop);
    }

    [Fact]
    public void Gc_frees_at_most_64000_over_HZ_expired_entries_per_run()
    {
        // HZ 250: GC_SCAN_EXPIRED_MAX = 256; the run stops when the count exceeds it (257 freed)
        // and re-arms one jiffy (4 ms) later.
        var t = new ConntrackTable(new ConntrackConfig { Buckets = 4096, Max = 4096, Hz = 250 });
        for (int i = 0; i < 1000; i++) Packet(t, Udp with { SrcIp = (uint)(0x0A000000 + i) }, 0);
        long now = 31 * S;
        long next = t.RunGc(now);
        Assert.Equal(1000 - 257, t.Count);
        Assert.Equal(257, t.Stats.LabExpiredByGc);
        Assert.Equal(now + 4 * SimTime.Millisecond, next);
        while (t.Count > 0) t.RunGc(t.NextGcRunAt);
        Assert.Equal(1000, t.Stats.LabExpiredByGc);
    }

    [Fact]
    public void Gc_interval_follows_the_average_remaining_timeout()
    {
        // One UDP entry with 30 s left, seen twice (the gc walks hash nodes: original and reply),
        // on top of the bias of 100 entries at 60 s: a = 60 s + (30 s - 60 s) / 101, then
        // a + (30 s - a) / 102 = 59.41... s, minus the run time (at least one jiffy, 4 ms at HZ 250).
        var t = new ConntrackTable(new ConntrackConfig { Buckets = 1024, Max = 1024, Hz = 250 });
        Packet(t, Udp, 1 * S);
        long next = t.RunGc(1 * S);
        long a = 60 * S + (30 * S - 60 * S) / 101;
        long expected = a + (30 * S - a) / 102 - 4 * SimTime.Millisecond;
        Assert.Equal(1 * S + expected, next);
    }
}
