using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;
using Lab.Esp;
using Lab.Esp.Replay;

namespace Lab.Captures.Tests.Validation;

/// <summary>The comparison and the files it writes, on observations made up for the purpose (the kernel runs are in the VM tests).</summary>
public sealed class EspComparisonTests
{
    static readonly EspValidationSa Sa = new()
    {
        Check = "window=32",
        Spi = 0x1000,
        Key = new byte[20],
        Replay = XfrmReplayMode.Legacy,
        Window = 32,
    };

    static XfrmSaCounters State(uint replayWindow, uint replay, uint failed, ulong packets) =>
        new("192.0.2.1", "192.0.2.2", "esp", 0x1000, 1, "tunnel", false, 32, 0, 0, [0], 0, packets, replayWindow, replay, failed);

    // Model: seq 1 accept, 1 again a duplicate (replay), 0 dropped (sequence zero), 2 accept.
    static readonly EspTracePacket[] Packets =
    [
        new(10, 1, 64, DropReason.None, 0),
        new(11, 1, 64, DropReason.Replay, 1),
        new(12, 0, 64, DropReason.SequenceZero, 2),
        new(13, 2, 64, DropReason.None, 3),
    ];

    static EspKernelRun Run(int[] outCount, XfrmSaCounters state, long seqError) =>
        new("test kernel", [new EspSaObservation(new EspSaTrace(Sa, Packets, EspSaCounters.FromVerdicts(Packets)), outCount, state, seqError, 0, 0, Packets.Length)], 0, TimeSpan.Zero);

    [Fact]
    public void Counters_follow_from_the_verdicts_as_xfrm_input_counts_them()
    {
        // replay + sequence zero both count XfrmInStateSeqError; only the duplicate has a per-SA counter.
        Assert.Equal(new EspSaCounters(ReplayWindow: 0, Replay: 1, IntegrityFailed: 0, Packets: 2, XfrmInStateSeqError: 2, XfrmInStateProtoError: 0),
            EspSaCounters.FromVerdicts(Packets));
    }

    [Fact]
    public void Matching_kernel_agrees_on_every_packet_and_counter()
    {
        var c = EspComparison.Compare(Run([1, 0, 0, 1], State(0, 1, 0, 2), seqError: 2));

        Assert.True(c.AllAgree);
        Assert.Equal(9, c.Rows.Count);
        Assert.Equal("""
            check,metric,simulated,kernel,agree
            window=32,replay-window,0,0,true
            window=32,replay,1,1,true
            window=32,failed,0,0,true
            window=32,packets,2,2,true
            window=32,XfrmInStateSeqError,2,2,true
            window=32,XfrmInStateProtoError,0,0,true
            window=32,XfrmInNoStates,0,0,true
            window=32,delivered,2,2,true
            window=32,verdicts_agree,4,4,true

            """.Replace("\r", "", StringComparison.Ordinal), ValidationFiles.ValidationCsv(c.Rows));
    }

    [Fact]
    public void A_packet_the_model_drops_but_the_kernel_passes_is_a_disagreement_even_when_totals_match()
    {
        // The kernel let the duplicate (index 11) through and dropped index 13: delivered is 2
        // on both sides, but two verdicts differ, and so do the replay counters.
        var c = EspComparison.Compare(Run([1, 1, 0, 0], State(1, 0, 0, 2), seqError: 2));

        Assert.False(c.AllAgree);
        Assert.Equal([11ul, 13ul], c.Disagreements.Select(p => p.Packet.Index));
        Assert.Equal(["replay-window", "replay", "verdicts_agree"], c.Rows.Where(r => !r.Agree).Select(r => r.Metric));
        Assert.Equal([
            "packet 11 (window=32, spi 0x00001000, seq 0x1): simulated drop replay, kernel accept",
            "packet 13 (window=32, spi 0x00001000, seq 0x2): simulated accept, kernel drop",
        ], ValidationFiles.FirstDisagreements(c));
        Assert.Equal("""
            index,check,spi,seq,simulated,kernel,agree
            10,window=32,0x00001000,1,accept,accept,true
            11,window=32,0x00001000,1,drop replay,accept,false
            12,window=32,0x00001000,0,drop XfrmInStateSeqError,drop,true
            13,window=32,0x00001000,2,accept,drop,false

            """.Replace("\r", "", StringComparison.Ordinal), ValidationFiles.PacketsCsv(c));
    }

    [Fact]
    public void A_packet_that_comes_out_twice_disagrees_with_an_accept()
    {
        var c = EspComparison.Compare(Run([2, 0, 0, 1], State(0, 1, 0, 2), seqError: 2));

        var p = Assert.Single(c.Disagreements);
        Assert.Equal("accept x2", p.KernelVerdict);
    }

    [Fact]
    public void Simulated_csv_lists_the_model_verdict_of_every_injected_packet()
    {
        var plan = new EspValidationPlan([new EspSaTrace(Sa with { Check = "a,b" }, Packets[..2], default)]);

        Assert.Equal("index,check,spi,seq,inner_length,verdict\n10,\"a,b\",0x00001000,1,64,accept\n11,\"a,b\",0x00001000,1,64,drop replay\n",
            ValidationFiles.SimulatedCsv(plan));
    }

    [Fact]
    public void Dut_counters_read_the_three_sections()
    {
        var text = $"""
            {DutScripts.StatMarker}
            XfrmInNoStates          	3
            XfrmInStateSeqError     	17
            {DutScripts.IngressMarker}
            1234
            5
            {DutScripts.StatesMarker}
            src 192.0.2.1 dst 192.0.2.2
            	proto esp spi 0x00001000(4096) reqid 1(0x00000001) mode tunnel
            	replay-window 32 seq 0x00000000 flag  (0x00000000)
            	anti-replay context: seq 0x2, oseq 0x0, bitmap 0x00000003
            	lifetime current:
            	  128(bytes), 2(packets)
            	  add 2026-11-26 20:33:38 use 2026-11-26 20:33:39
            	stats:
            	  replay-window 0 replay 1 failed 0
            """;

        var c = DutCounters.Parse(text);

        Assert.Equal((3L, 17L), (c.Stat.XfrmInNoStates, c.Stat.XfrmInStateSeqError));
        Assert.Equal((1234L, 5L), (c.IngressRxPackets, c.IngressRxDropped));
        var s = Assert.Single(c.States);
        Assert.Equal((0x1000u, 2ul, 1u), (s.Spi, s.Packets, s.Replay));
    }
}
