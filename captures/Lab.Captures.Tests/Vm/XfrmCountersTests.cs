using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.Vm;

public sealed class XfrmCountersTests
{
    // Printed by the guest kernel (6.1.0-56-amd64, iproute2 6.1.0) in namespace b after
    // `ip netns exec a ping -c 5` through a transport-mode SA pair: a->b legacy window 32,
    // b->a ESN window 128.
    private const string TwoStates = """
        src 198.51.100.2 dst 198.51.100.1
        	proto esp spi 0x000000b1(177) reqid 2(0x00000002) mode transport
        	replay-window 0 seq 0x00000000 flag esn (0x10000000)
        	aead rfc4106(gcm(aes)) 0x00112233445566778899aabbccddeeff01020304 (160 bits) 128
        	anti-replay esn context:
        	 seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x5
        	 replay_window 128, bitmap-length 4
        	 00000000 00000000 00000000 00000000 
        	sel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0
        	lifetime config:
        	  limit: soft (INF)(bytes), hard (INF)(bytes)
        	  limit: soft (INF)(packets), hard (INF)(packets)
        	  expire add: soft 0(sec), hard 0(sec)
        	  expire use: soft 0(sec), hard 0(sec)
        	lifetime current:
        	  320(bytes), 5(packets)
        	  add 2026-11-26 20:33:39 use 2026-11-26 20:33:39
        	stats:
        	  replay-window 0 replay 0 failed 0
        src 198.51.100.1 dst 198.51.100.2
        	proto esp spi 0x000000a1(161) reqid 1(0x00000001) mode transport
        	replay-window 32 seq 0x00000000 flag  (0x00000000)
        	aead rfc4106(gcm(aes)) 0x00112233445566778899aabbccddeeff01020304 (160 bits) 128
        	anti-replay context: seq 0x5, oseq 0x0, bitmap 0x0000001f
        	sel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0
        	lifetime config:
        	  limit: soft (INF)(bytes), hard (INF)(bytes)
        	  limit: soft (INF)(packets), hard (INF)(packets)
        	  expire add: soft 0(sec), hard 0(sec)
        	  expire use: soft 0(sec), hard 0(sec)
        	lifetime current:
        	  320(bytes), 5(packets)
        	  add 2026-11-26 20:33:38 use 2026-11-26 20:33:39
        	stats:
        	  replay-window 0 replay 0 failed 0
        """;

    // The same format for an IPv6 SA with UDP encapsulation, as the guest printed it, with the
    // ESN context, lifetime and stats values edited to exercise the 64-bit and 32-bit limits.
    private const string EditedV6State = """
        src 2001:db8::1 dst 2001:db8::2
        	proto esp spi 0x00000300(768) reqid 3(0x00000003) mode tunnel
        	replay-window 0 seq 0x00000000 flag  (0x00000000)
        	aead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 (160 bits) 128
        	encap type espinudp sport 4500 dport 4500 addr ::
        	anti-replay esn context:
        	 seq-hi 0x1, seq 0x2a, oseq-hi 0x0, oseq 0x0
        	 replay_window 256, bitmap-length 8
        	 00000000 00000000 00000000 00000000 00000000 00000000 00000000 80000001 
        	sel src ::/0 dst ::/0 uid 0
        	lifetime config:
        	  limit: soft (INF)(bytes), hard (INF)(bytes)
        	  limit: soft (INF)(packets), hard (INF)(packets)
        	  expire add: soft 0(sec), hard 0(sec)
        	  expire use: soft 0(sec), hard 0(sec)
        	lifetime current:
        	  123456789012(bytes), 4294967301(packets)
        	  add 2026-11-26 20:17:22 use -
        	stats:
        	  replay-window 17 replay 3 failed 4294967295
        """;

    private const string ProcXfrmStat = """
        XfrmInError             	0
        XfrmInBufferError       	0
        XfrmInHdrError          	0
        XfrmInNoStates          	0
        XfrmInStateProtoError   	0
        XfrmInStateModeError    	0
        XfrmInStateSeqError     	0
        XfrmInStateExpired      	0
        XfrmInStateMismatch     	0
        XfrmInStateInvalid      	0
        XfrmInTmplMismatch      	0
        XfrmInNoPols            	0
        XfrmInPolBlock          	0
        XfrmInPolError          	0
        XfrmOutError            	0
        XfrmOutBundleGenError   	0
        XfrmOutBundleCheckError 	0
        XfrmOutNoStates         	0
        XfrmOutStateProtoError  	0
        XfrmOutStateModeError   	0
        XfrmOutStateSeqError    	0
        XfrmOutStateExpired     	0
        XfrmOutPolBlock         	0
        XfrmOutPolDead          	0
        XfrmOutPolError         	0
        XfrmFwdHdrError         	0
        XfrmOutStateInvalid     	0
        XfrmAcquireError        	0
        """;

    [Fact]
    public void Legacy_and_esn_states_parse_with_their_replay_context_and_lifetime()
    {
        var c = XfrmCounters.Parse(TwoStates, ProcXfrmStat);

        Assert.Equal(2, c.States.Count);
        var esn = c.State(0xb1);
        Assert.Equal(("198.51.100.2", "198.51.100.1", "esp", 2u, "transport"), (esn.Source, esn.Destination, esn.Protocol, esn.ReqId, esn.Mode));
        Assert.True(esn.Esn);
        Assert.Equal(128u, esn.WindowSize);         // from "replay_window 128", not the header's 0
        Assert.Equal((0ul, 5ul), (esn.Seq, esn.OutSeq));
        Assert.Equal(new uint[] { 0, 0, 0, 0 }, esn.Bitmap);
        Assert.Equal((320ul, 5ul), (esn.Bytes, esn.Packets));

        var legacy = c.State(0xa1);
        Assert.False(legacy.Esn);
        Assert.Equal(32u, legacy.WindowSize);
        Assert.Equal((5ul, 0ul), (legacy.Seq, legacy.OutSeq));
        Assert.Equal(new uint[] { 0x1f }, legacy.Bitmap); // sequence numbers 1..5 seen
        Assert.Equal((0u, 0u, 0u), (legacy.ReplayWindow, legacy.Replay, legacy.IntegrityFailed));
    }

    [Fact]
    public void Esn_sequence_combines_seq_hi_and_counters_keep_their_full_width()
    {
        var s = Assert.Single(XfrmSaCounters.ParseAll(EditedV6State));

        Assert.Equal(("2001:db8::1", "2001:db8::2", 0x300u), (s.Source, s.Destination, s.Spi));
        Assert.False(s.Esn);                        // no "flag esn": a bmp window of 256
        Assert.Equal(256u, s.WindowSize);
        Assert.Equal((1ul << 32) + 0x2a, s.Seq);    // seq-hi 0x1, seq 0x2a
        Assert.Equal(8, s.Bitmap.Count);
        Assert.Equal(0x80000001u, s.Bitmap[7]);
        Assert.Equal((123456789012ul, 4294967301ul), (s.Bytes, s.Packets));
        Assert.Equal((17u, 3u, uint.MaxValue), (s.ReplayWindow, s.Replay, s.IntegrityFailed));
    }

    [Fact]
    public void Xfrm_stat_keeps_every_counter_by_its_kernel_name_in_file_order()
    {
        var stat = XfrmStat.Parse(ProcXfrmStat);

        Assert.Equal(28, stat.Entries.Count);       // the 6.1 xfrm_mib_list, XfrmInError .. XfrmAcquireError
        Assert.Equal("XfrmInError", stat.Entries[0].Key);
        Assert.Equal("XfrmAcquireError", stat.Entries[^1].Key);
        Assert.Equal(0, stat.XfrmInStateSeqError);
        Assert.Throws<KeyNotFoundException>(() => { _ = stat["XfrmNoSuchCounter"]; });
    }

    [Fact]
    public void Xfrm_stat_values_are_read_not_assumed()
    {
        var stat = XfrmStat.Parse("XfrmInStateProtoError   \t2\nXfrmInStateSeqError     \t18446744073709551\n");

        Assert.Equal(2, stat.XfrmInStateProtoError);
        Assert.Equal(18446744073709551, stat.XfrmInStateSeqError);
    }

    [Fact]
    public void Output_without_statistics_is_rejected_not_read_as_zero()
    {
        var withoutStats = TwoStates[..TwoStates.IndexOf("\tstats:", StringComparison.Ordinal)];

        var e = Assert.Throws<FormatException>(() => XfrmSaCounters.ParseAll(withoutStats));
        Assert.Contains("ip -s", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_in_xfrm_stat_is_rejected()
    {
        Assert.Throws<FormatException>(() => XfrmStat.Parse("XfrmInError 1 2\n"));
        Assert.Throws<FormatException>(() => XfrmStat.Parse("NotXfrm 1\n"));
    }

    [Fact]
    public void Lookup_needs_a_unique_spi()
    {
        var c = XfrmCounters.Parse(TwoStates, ProcXfrmStat);

        Assert.Throws<KeyNotFoundException>(() => c.State(0xdead));
        Assert.Equal("198.51.100.2", c.State(0xa1, "198.51.100.2").Destination);
    }
}
