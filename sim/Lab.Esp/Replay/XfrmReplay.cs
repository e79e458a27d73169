using System.Runtime.CompilerServices;

namespace Lab.Esp.Replay;

/// <summary>
/// The replay state of one SA and the functions of net/xfrm/xfrm_replay.c (Linux v6.12) that
/// read and change it, one method per kernel function, with the kernel's u32 arithmetic
/// (wrap-around included). Fields carry the names of struct xfrm_replay_state (legacy) and
/// struct xfrm_replay_state_esn (bmp, esn) as <c>ip xfrm state</c> prints them: seq, oseq,
/// seq_hi, oseq_hi, bitmap / bmp.
/// <para>
/// A mutable struct: keep it in a field of its owner (an SA) and call methods on the field, never
/// on a copy. The bitmap array is allocated once in <see cref="Create"/>; no method allocates.
/// </para>
/// <para>
/// Inbound order (xfrm_input): <see cref="Check"/> under the SA lock before decryption,
/// <see cref="InferSeqHi"/> (xfrm_replay_seqhi) to infer the high half for the ICV, then after the ICV verified
/// <see cref="Recheck"/> and <see cref="Advance"/> under the lock again. With asynchronous
/// crypto other packets of the same SA can run in between; that gap is why the recheck exists.
/// </para>
/// </summary>
public partial struct XfrmReplay
{
    /// <summary>Largest window: XFRMA_REPLAY_ESN_MAX (4096 bits); verify_replay: bmp_len &lt;= 128.</summary>
    public const uint MaxEsnWindow = 4096;

    /// <summary>sizeof(x->replay.bitmap) * 8: copy_from_user_state clamps the legacy window to it.</summary>
    public const uint LegacyBitmapBits = 32;

    /// <summary>Which kernel implementation (x->repl_mode).</summary>
    public XfrmReplayMode Mode;

    /// <summary>x->props.replay_window (legacy) or replay_esn->replay_window (bmp, esn).</summary>
    public uint ReplayWindow { readonly get; private set; }

    /// <summary>window - 1 when the window is a power of two (x % w == x &amp; mask), else 0.</summary>
    uint _mask;

    /// <summary>Lemire's fastmod multiplier for other windows: exact x % w for every 32-bit x.</summary>
    ulong _modMultiplier;

    /// <summary>Highest sequence number accepted (low 32 bits for esn).</summary>
    public uint Seq;

    /// <summary>ESN: high 32 bits of <see cref="Seq"/> (replay_esn->seq_hi).</summary>
    public uint SeqHi;

    /// <summary>Last outbound sequence number used (low 32 bits).</summary>
    public uint Oseq;

    /// <summary>ESN: high 32 bits of <see cref="Oseq"/>.</summary>
    public uint OseqHi;

    /// <summary>Legacy: x->replay.bitmap, bit d set = seq - d received.</summary>
    public uint Bitmap;

    /// <summary>
    /// Bmp/esn: replay_esn->bmp, bmp_len 32-bit words used as a ring indexed by
    /// (seq - 1) % replay_window (see <see cref="BitNumber"/>). Empty for legacy.
    /// </summary>
    public uint[] Bmp;

    /// <summary>
    /// Builds the state as xfrm_state_construct leaves it: legacy windows are clamped to 32
    /// (copy_from_user_state), bmp/esn get bmp_len = ceil(window / 32) words as iproute2
    /// computes them, all bits clear. <paramref name="seq"/> and <paramref name="seqHi"/> are
    /// iproute2's replay-seq and replay-seq-hi. Throws for what the kernel or iproute2 rejects;
    /// <see cref="Validate"/> gives the message without throwing.
    /// </summary>
    public static XfrmReplay Create(XfrmReplayMode mode, uint window, uint seq = 0, uint seqHi = 0,
        uint oseq = 0, uint oseqHi = 0, bool inbound = true)
    {
        var problem = Validate(mode, window, seqHi, inbound);
        if (problem is not null) throw new ArgumentOutOfRangeException(nameof(window), problem);
        var r = new XfrmReplay
        {
            Mode = mode,
            Seq = seq,
            SeqHi = seqHi,
            Oseq = oseq,
            OseqHi = oseqHi,
        };
        if (mode == XfrmReplayMode.Legacy)
        {
            r.ReplayWindow = Math.Min(window, LegacyBitmapBits);
            r.Bmp = [];
        }
        else
        {
            r.ReplayWindow = window;
            r.Bmp = new uint[(window + 31) / 32];
            if (window != 0)
            {
                r._mask = uint.IsPow2(window) ? window - 1 : 0;
                r._modMultiplier = ulong.MaxValue / window + 1;
            }
        }
        return r;
    }

    /// <summary>
    /// What the kernel (xfrm_init_replay, verify_replay) or iproute2 would refuse, as one line, or
    /// null. An inbound ESN SA needs a window: "ESN replay window must be &gt; 0".
    /// </summary>
    public static string? Validate(XfrmReplayMode mode, uint window, uint seqHi, bool inbound = true)
    {
        if (mode != XfrmReplayMode.Legacy && window > MaxEsnWindow)
            return $"replay window {window} is above XFRMA_REPLAY_ESN_MAX ({MaxEsnWindow} bits)";
        if (mode == XfrmReplayMode.Esn && window == 0 && inbound)
            return "ESN replay window must be > 0 (xfrm_init_replay rejects window 0 for an inbound ESN SA)";
        if (mode != XfrmReplayMode.Esn && seqHi != 0)
            return "seq_hi is only used with ESN (verify_replay: seq_hi must be 0 in non-ESN mode)";
        return null;
    }

    /// <summary>
    /// The clamp of a legacy window above 32, said with its source, or null when the window takes effect
    /// as given: net/xfrm/xfrm_user.c copy_from_user_state sets x->props.replay_window to
    /// min(replay_window, sizeof(x->replay.bitmap) * 8) = 32; iproute2 (ip/xfrm_state.c) avoids it by sending a
    /// window above 32 as XFRMA_REPLAY_ESN_VAL, the bmp variant.
    /// </summary>
    public static string? ClampNote(XfrmReplayMode mode, uint window) =>
        mode == XfrmReplayMode.Legacy && window > LegacyBitmapBits
            ? $"legacy window {window} clamped to {LegacyBitmapBits} (net/xfrm/xfrm_user.c copy_from_user_state: min(replay_window, sizeof(x->replay.bitmap) * 8)); iproute2 sends a window above {LegacyBitmapBits} as XFRMA_REPLAY_ESN_VAL (bmp) instead"
            : null;

    /// <summary>Number of 32-bit bitmap words (replay_esn->bmp_len); 0 for legacy.</summary>
    public readonly int BmpLen => Bmp.Length;

    /// <summary>The 64-bit top of the window: (seq_hi &lt;&lt; 32) | seq (seq_hi is 0 except for esn).</summary>
    public readonly ulong Top => ((ulong)SeqHi << 32) | Seq;

    /// <summary>
    /// xfrm_replay_check: dispatches on repl_mode like the kernel's xfrm_replay_check(). Returns
    /// <see cref="DropReason.None"/> to go on; increments the per-SA counter the kernel does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly DropReason Check(uint seq, ref XfrmStateStats stats) => Mode switch
    {
        XfrmReplayMode.Bmp => CheckBmp(seq, ref stats),
        XfrmReplayMode.Esn => CheckEsn(seq, ref stats),
        _ => CheckLegacy(seq, ref stats),
    };

    /// <summary>
    /// xfrm_replay_recheck: after the ICV verified. Legacy and bmp repeat the check; esn first
    /// compares the seq_hi used for the ICV (<paramref name="seqHiUsed"/>, XFRM_SKB_CB(skb)->seq.input.hi)
    /// with a fresh inference and counts a change as replay_window (xfrm_replay_recheck_esn).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly DropReason Recheck(uint seq, uint seqHiUsed, ref XfrmStateStats stats) => Mode switch
    {
        XfrmReplayMode.Bmp => CheckBmp(seq, ref stats),
        XfrmReplayMode.Esn => RecheckEsn(seq, seqHiUsed, ref stats),
        _ => CheckLegacy(seq, ref stats),
    };

    /// <summary>xfrm_replay_advance: dispatch on repl_mode.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(uint seq)
    {
        switch (Mode)
        {
            case XfrmReplayMode.Bmp: AdvanceBmp(seq); break;
            case XfrmReplayMode.Esn: AdvanceEsn(seq); break;
            default: AdvanceLegacy(seq); break;
        }
    }

    /// <summary>
    /// xfrm_replay_seqhi: the high half the receiver infers for a received low half (RFC 4303
    /// appendix A2.2). Non-ESN SAs return 0. Case A: the window lies in one subspace
    /// (seq &gt;= window - 1): a low half below the window's bottom belongs to the next subspace.
    /// Case B: the window spans two subspaces: a low half at or above the bottom belongs to the
    /// previous one.
    /// </summary>
    public readonly uint InferSeqHi(uint seq)
    {
        if (Mode != XfrmReplayMode.Esn) return 0;
        uint seqHi = SeqHi;
        uint bottom = unchecked(Seq - ReplayWindow + 1);
        if (Seq >= unchecked(ReplayWindow - 1))
        {
            if (seq < bottom) seqHi = unchecked(seqHi + 1);
        }
        else if (seq >= bottom)
        {
            seqHi = unchecked(seqHi - 1);
        }
        return seqHi;
    }

    /// <summary>xfrm_replay_check_legacy.</summary>
    public readonly DropReason CheckLegacy(uint seq, ref XfrmStateStats stats)
    {
        if (ReplayWindow == 0) return DropReason.None;
        if (seq == 0) return DropReason.SequenceZero;
        if (seq > Seq) return DropReason.None;
        uint diff = Seq - seq;
        if (diff >= ReplayWindow)
        {
            stats.ReplayWindow++;
            return DropReason.ReplayWindow;
        }
        if ((Bitmap & (1u << (int)diff)) != 0)
        {
            stats.Replay++;
            return DropReason.Replay;
        }
        return DropReason.None;
    }

    /// <summary>xfrm_replay_advance (legacy branch): shift the 32-bit bitmap.</summary>
    public void AdvanceLegacy(uint seq)
    {
        if (ReplayWindow == 0) return;
        if (seq > Seq)
        {
            uint diff = seq - Seq;
            Bitmap = diff < ReplayWindow ? (Bitmap << (int)diff) | 1u : 1u;
            Seq = seq;
        }
        else
        {
            uint diff = Seq - seq;
            Bitmap |= 1u << (int)diff;
        }
    }

    /// <summary>xfrm_replay_check_bmp.</summary>
    public readonly DropReason CheckBmp(uint seq, ref XfrmStateStats stats)
    {
        uint diff = unchecked(Seq - seq);
        if (ReplayWindow == 0) return DropReason.None;
        if (seq == 0) return DropReason.SequenceZero;
        if (seq > Seq) return DropReason.None;
        if (diff >= ReplayWindow)
        {
            stats.ReplayWindow++;
            return DropReason.ReplayWindow;
        }
        if (TestBit(BitNumber(diff)))
        {
            stats.Replay++;
            return DropReason.Replay;
        }
        return DropReason.None;
    }

    /// <summary>xfrm_replay_advance_bmp.</summary>
    public void AdvanceBmp(uint seq)
    {
        if (ReplayWindow == 0) return;
        uint pos = Mod(unchecked(Seq - 1));
        uint bitnr;
        if (seq > Seq)
        {
            uint diff = seq - Seq;
            ClearAhead(pos, diff);
            bitnr = RingAdd(pos, diff);
            Seq = seq;
        }
        else
        {
            bitnr = BitNumber(Seq - seq);
        }
        Bmp[bitnr >> 5] |= 1u << (int)(bitnr & 0x1F);
    }

    /// <summary>xfrm_replay_check_esn: only the low half is known here.</summary>
    public readonly DropReason CheckEsn(uint seq, ref XfrmStateStats stats)
    {
        uint wsize = ReplayWindow;
        uint top = Seq;
        uint bottom = unchecked(top - wsize + 1);
        if (wsize == 0) return DropReason.None;
        if (seq == 0 && SeqHi == 0 && Seq < unchecked(wsize - 1)) return DropReason.SequenceZero;

        uint diff = unchecked(top - seq);
        if (top >= unchecked(wsize - 1))
        {
            // A. same subspace: above the top, or below the bottom (= next subspace), is new.
            if (seq > top || seq < bottom) return DropReason.None;
        }
        else
        {
            // B. window spans two subspaces.
            if (seq > top && seq < bottom) return DropReason.None;
            if (seq >= bottom) diff = unchecked(~seq + top + 1);
        }

        if (diff >= ReplayWindow)
        {
            stats.ReplayWindow++;
            return DropReason.ReplayWindow;
        }
        if (TestBit(BitNumber(diff)))
        {
            stats.Replay++;
            return DropReason.Replay;
        }
        return DropReason.None;
    }

    /// <summary>xfrm_replay_recheck_esn.</summary>
    public readonly DropReason RecheckEsn(uint seq, uint seqHiUsed, ref XfrmStateStats stats)
    {
        if (seqHiUsed != InferSeqHi(seq))
        {
            stats.ReplayWindow++;
            return DropReason.ReplayWindow;
        }
        return CheckEsn(seq, ref stats);
    }

    /// <summary>xfrm_replay_advance_esn: moves into the next subspace when the inferred seq_hi is higher.</summary>
    public void AdvanceEsn(uint seq)
    {
        if (ReplayWindow == 0) return;
        uint pos = Mod(unchecked(Seq - 1));
        uint seqHi = InferSeqHi(seq);
        int wrap = unchecked((int)(seqHi - SeqHi));
        uint bitnr;
        if ((wrap == 0 && seq > Seq) || wrap > 0)
        {
            uint diff = wrap == 0 ? seq - Seq : unchecked(~Seq + seq + 1);
            ClearAhead(pos, diff);
            bitnr = RingAdd(pos, diff);
            Seq = seq;
            if (wrap > 0) SeqHi = unchecked(SeqHi + 1);
        }
        else
        {
            bitnr = BitNumber(unchecked(Seq - seq));
        }
        Bmp[bitnr >> 5] |= 1u << (int)(bitnr & 0x1F);
    }

    /// <summary>
    /// The kernel's ring index for "diff below the top": pos = (seq - 1) % window is the bit of the
    /// top; diff back from it, wrapping at the window size (not at the bitmap size).
    /// </summary>
    /// <remarks>
    /// The kernel's "(pos - diff) % replay_window" is left out: pos &lt; window, so it changes nothing.
    /// </remarks>
    public readonly uint BitNumber(uint diff)
    {
        uint pos = Mod(unchecked(Seq - 1));
        return pos >= diff ? pos - diff : ReplayWindow - (diff - pos);
    }

    /// <summary>x % replay_window, without a division (mask for powers of two, else fastmod).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    readonly uint Mod(uint x) =>
        _mask != 0 || ReplayWindow == 1
            ? x & _mask
            : (uint)(((((_modMultiplier * x) >> 32) + 1) * ReplayWindow) >> 32);

    /// <summary>(pos + diff) % window for pos &lt; window, with one subtraction when diff &lt; window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    readonly uint RingAdd(uint pos, uint diff)
    {
        if (diff < ReplayWindow)
        {
            uint sum = pos + diff; // < 2 * window <= 8192: no overflow
            return sum >= ReplayWindow ? sum - ReplayWindow : sum;
        }
        return Mod(unchecked(pos + diff));
    }

    /// <summary>Whether bit <paramref name="bitnr"/> of the bmp ring is set.</summary>
    public readonly bool TestBit(uint bitnr) => (Bmp[bitnr >> 5] & (1u << (int)(bitnr & 0x1F))) != 0;

    /// <summary>
    /// The advance step for a new top diff ahead: clear the bits between the old and new top
    /// one by one when the jump is inside the window, else clear the whole bitmap (the words
    /// 0..(window-1)/32, as the kernel does).
    /// </summary>
    void ClearAhead(uint pos, uint diff)
    {
        if (diff < ReplayWindow)
        {
            for (uint i = 1; i < diff; i++)
            {
                uint bitnr = RingAdd(pos, i);
                Bmp[bitnr >> 5] &= ~(1u << (int)(bitnr & 0x1F));
            }
        }
        else
        {
            uint nr = (ReplayWindow - 1) >> 5;
            for (uint i = 0; i <= nr; i++) Bmp[i] = 0;
        }
    }
}
