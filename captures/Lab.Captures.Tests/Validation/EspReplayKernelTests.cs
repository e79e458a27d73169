using Lab.Captures.EspFrames;
using Lab.KernelLab.Validation;
using Lab.Engine;
using Lab.Esp;
using Lab.Esp.Replay;

namespace Lab.Captures.Tests.Validation;

/// <summary>
/// The kernel's anti-replay (net/xfrm/xfrm_replay.c, Debian 6.1) against `lab esp replay`
/// (<see cref="Lab.Esp.Reference.ReplayReference"/>, read through its printed output): for
/// every variant and window iproute2 can configure, a seeded reordered trace with duplicates,
/// and hand-derived edge cases. Per packet, accepted by the reference iff its index came out
/// of the kernel; per SA, replay-window, replay, failed and packets; per trace, the
/// XfrmInStateSeqError and XfrmInStateProtoError it added.
/// </summary>
[Collection(ValidationVmCollection.Name)]
public sealed class EspReplayKernelTests(ValidationVmFixture fixture)
{
    static readonly byte[] Key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f10111213");

    // iproute2 picks the variant from the window and flag esn (ip/xfrm_state.c): legacy exists
    // only up to 32 and bmp only above 32, so these are all the (variant, window) pairs of
    // {legacy, bmp, esn} x {32, 64, 128, 4096} a kernel can be given.
    public static TheoryData<XfrmReplayMode, uint> Windows() => new()
    {
        { XfrmReplayMode.Legacy, 32 },
        { XfrmReplayMode.Bmp, 64 },
        { XfrmReplayMode.Bmp, 128 },
        { XfrmReplayMode.Bmp, 4096 },
        { XfrmReplayMode.Esn, 32 },
        { XfrmReplayMode.Esn, 64 },
        { XfrmReplayMode.Esn, 128 },
        { XfrmReplayMode.Esn, 4096 },
    };

    [VmTheory]
    [MemberData(nameof(Windows))]
    public void Reordered_trace_gets_the_verdicts_and_counters_of_lab_esp_replay(XfrmReplayMode mode, uint window)
    {
        // 2,500 packets from replay-seq 3000 on, displaced by up to 3 (95%) or 300 (5%), 1%
        // sent twice. For 4096, 8,000 packets with 2% displaced by up to 5,500, so that some
        // (about 20) fall behind the window, and the ring of 128 words wraps (3000 + 8000 > 2 x 4096).
        bool big = window == 4096;
        var order = new SeededReordering(big ? 8000 : 2500, Start: 3000, MaxDisplacement: big ? 5500 : 300, LateShare: big ? 0.02 : 0.05);
        var seqs = order.Generate(RandomStream.For(7, 0, $"validation.{mode}.{window}"));
        var sa = Sa(0x3000u + (uint)mode * 0x100 + (uint)Math.Log2(window), mode, window, initialSeq: 3000);

        var (reference, run) = Validate(sa, seqs);

        // The trace is not trivial: duplicates, and (legacy and bmp) too-old drops or (esn)
        // too-old packets taken for the next 2^32 block that then fail the ICV.
        Assert.True(seqs.Count >= 2000);
        Assert.True(reference.Counters.Replay > 0);
        Assert.True(mode == XfrmReplayMode.Esn ? reference.Counters.IntegrityFailed > 0 : reference.Counters.ReplayWindow > 0);
        AssertKernelAgrees(reference, run);
    }

    public static TheoryData<string> EdgeCases() => new() { "legacy", "bmp", "esn", "esn-boundary" };

    [VmTheory]
    [MemberData(nameof(EdgeCases))]
    public void Edge_cases_get_the_verdicts_derived_from_the_kernel_source(string name)
    {
        var (sa, seqs, expected) = Edge(name);

        var (reference, run) = Validate(sa, seqs);

        Assert.Equal(expected, reference.Verdicts);
        AssertKernelAgrees(reference, run);
    }

    /// <summary>
    /// Hand-derived from xfrm_replay_check_legacy / _bmp / _esn and xfrm_replay_seqhi (6.1).
    /// T is the top of the window, W its size: T - W is too old by one, T - W + 1 the oldest
    /// still inside. For esn a packet below the bottom is not "too old": the check passes, it
    /// is taken for the next 2^32 block (seq_hi + 1) and the real ICV then fails.
    /// </summary>
    static (EspValidationSa, ulong[], DropReason[]) Edge(string name)
    {
        const DropReason A = DropReason.None, Old = DropReason.ReplayWindow, Dup = DropReason.Replay,
            Zero = DropReason.SequenceZero, Icv = DropReason.IntegrityFailed;
        switch (name)
        {
            case "legacy":
                // W 32: 0 | 2 1 2(dup) | T=40: 8 (40-8 = 32, too old) 9 (inside) 9(dup) | T=41: 9 (now too old) 10 | 0
                return (Sa(0x3101, XfrmReplayMode.Legacy, 32), [0, 2, 1, 2, 40, 8, 9, 9, 41, 9, 10, 0],
                    [Zero, A, A, Dup, A, Old, A, Dup, A, Old, A, Zero]);
            case "bmp":
                // The same with W 64 and T = 100, 101.
                return (Sa(0x3102, XfrmReplayMode.Bmp, 64), [0, 2, 1, 2, 100, 36, 37, 37, 101, 37, 38, 0],
                    [Zero, A, A, Dup, A, Old, A, Dup, A, Old, A, Zero]);
            case "esn":
                // W 64. Seq 0 with seq_hi 0 and T < W - 1 is dropped; later, with T = 101, seq 0
                // is below the bottom (38): taken for block 1, so the ICV (sender's block 0) fails.
                // 36 and, after T = 101, 37 are below the bottom likewise.
                return (Sa(0x3103, XfrmReplayMode.Esn, 64), [0, 2, 1, 2, 100, 36, 37, 37, 101, 37, 38, 0],
                    [Zero, A, A, Dup, A, Icv, A, Dup, A, Icv, A, Icv]);
            default:
                // W 64 from replay-seq-hi 5, replay-seq 0xfffffff0: across the 2^32 boundary.
                // 5:fff1 in; 6:2 is below the bottom -> block 6, in (window now spans two blocks);
                // 5:fff5 is at or above the bottom -> block 5, inside, in; 5:fff5 again a duplicate;
                // 5:ffb0 is between top and bottom -> block 6 inferred, ICV fails; 6:0 is in
                // (ESN has no sequence-zero rule once seq_hi > 0); 6:1 in; 6:0x50 in (top 0x50);
                // 5:fff8 is above the top -> block 6 inferred, ICV fails.
                return (Sa(0x3104, XfrmReplayMode.Esn, 64, initialSeq: 0xfffffff0, initialSeqHi: 5),
                    [0x5_fffffff1, 0x6_00000002, 0x5_fffffff5, 0x5_fffffff5, 0x5_ffffffb0, 0x6_00000000, 0x6_00000001, 0x6_00000050, 0x5_fffffff8],
                    [A, A, A, Dup, Icv, A, A, A, Icv]);
        }
    }

    static EspValidationSa Sa(uint spi, XfrmReplayMode mode, uint window, uint initialSeq = 0, uint initialSeqHi = 0) => new()
    {
        Check = $"{mode}-{window}-{spi:x}",
        Spi = spi,
        Key = Key,
        Mode = EspMode.Tunnel,
        Replay = mode,
        Window = window,
        InitialSeq = initialSeq,
        InitialSeqHi = initialSeqHi,
    };

    (ReplayReferenceVerdicts Reference, EspSaObservation Run) Validate(EspValidationSa sa, IReadOnlyList<ulong> seqs)
    {
        var reference = ReplayReferenceVerdicts.Run(sa, seqs);
        var packets = new EspTracePacket[seqs.Count];
        for (int i = 0; i < packets.Length; i++) packets[i] = new EspTracePacket((ulong)i, seqs[i], 100, reference.Verdicts[i], i * 1000L);
        var run = fixture.Run(new EspValidationPlan([new EspSaTrace(sa, packets, reference.Counters)]), sa.Check);
        return (reference, Assert.Single(run.Sas));
    }

    static void AssertKernelAgrees(ReplayReferenceVerdicts reference, EspSaObservation o)
    {
        var disagreeing = new List<string>();
        for (int i = 0; i < reference.Verdicts.Count; i++)
        {
            bool accepted = reference.Verdicts[i] == DropReason.None;
            if (o.OutCount[i] != (accepted ? 1 : 0))
                disagreeing.Add($"#{i} seq 0x{o.Trace.Packets[i].Sequence:x}: lab esp replay {reference.Verdicts[i]}, kernel out {o.OutCount[i]}x");
        }
        Assert.True(disagreeing.Count == 0, $"{disagreeing.Count} packets disagree: " + string.Join("; ", disagreeing.Take(10)));
        var c = reference.Counters;
        Assert.Equal((c.ReplayWindow, c.Replay, c.IntegrityFailed, c.Packets),
            ((ulong)o.State.ReplayWindow, (ulong)o.State.Replay, (ulong)o.State.IntegrityFailed, o.State.Packets));
        Assert.Equal((c.XfrmInStateSeqError, c.XfrmInStateProtoError), ((ulong)o.XfrmInStateSeqError, (ulong)o.XfrmInStateProtoError));
        Assert.Equal(0, o.XfrmInNoStates);
    }
}
