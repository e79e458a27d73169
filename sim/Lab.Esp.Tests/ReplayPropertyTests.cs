using CsCheck;
using Lab.Esp.Replay;
using Lab.Esp.Sa;
using Lab.Esp.Wire;

namespace Lab.Esp.Tests;

/// <summary>
/// The kernel-exact windows against straightforward set-based reference models written from the
/// RFC's description (RFC 4303 section 3.4.3 and appendix A2), not from the kernel's bit tricks.
/// </summary>
public class ReplayPropertyTests
{
    /// <summary>RFC 4303 3.4.3 for 32-bit numbers: a top and the set of numbers received.</summary>
    sealed class SetWindow(uint window, uint top)
    {
        readonly HashSet<uint> _seen = [];
        uint _top = top;

        public uint Top => _top;

        public DropReason Receive(uint seq)
        {
            if (window == 0) return DropReason.None;
            if (seq == 0) return DropReason.SequenceZero;
            if (seq <= _top)
            {
                if (_top - seq >= window) return DropReason.ReplayWindow;
                if (_seen.Contains(seq)) return DropReason.Replay;
            }
            _seen.Add(seq);
            if (seq > _top) _top = seq;
            return DropReason.None;
        }
    }

    /// <summary>
    /// RFC 4303 A2.2 for ESN: the receiver's guess for a low half is the unique 64-bit number with
    /// that low half in [top - W + 1, top - W + 1 + 2^32); the ICV only verifies if the guess is
    /// the number the sender used. Linux's extra rule: low half 0 is refused while seq_hi is 0 and
    /// the window still reaches below 0.
    /// </summary>
    sealed class EsnSetWindow(uint window, long top)
    {
        readonly HashSet<long> _seen = [];
        long _top = top;

        public long Top => _top;

        public DropReason Receive(ulong sent)
        {
            uint lo = (uint)sent;
            if (lo == 0 && (_top >> 32) == 0 && (uint)_top < window - 1) return DropReason.SequenceZero;
            long bottom = _top - window + 1;
            long guess = bottom + (long)((lo - (ulong)bottom) & 0xffffffffUL);
            if (guess <= _top)
            {
                if (_top - guess >= window) return DropReason.ReplayWindow;
                if (_seen.Contains(guess)) return DropReason.Replay;
            }
            if (guess != (long)sent) return DropReason.IntegrityFailed;
            _seen.Add(guess);
            if (guess > _top) _top = guess;
            return DropReason.None;
        }
    }

    static readonly uint[] Bases = [0, 1000, 0xfffff000];

    [Fact]
    public void Legacy_and_bmp_match_the_set_reference()
    {
        var gen = Gen.Select(Gen.Bool, Gen.UInt[0, 300], Gen.Int[0, Bases.Length - 1], Gen.Int[-400, 400].Array[1, 400]);
        gen.Sample((legacy, anyWindow, baseIndex, offsets) =>
        {
            var mode = legacy ? XfrmReplayMode.Legacy : XfrmReplayMode.Bmp;
            uint b = Bases[baseIndex];
            // A bmp SA starting at seq 0 misplaces its first bit unless the window divides 2^32
            // (see ReplayQuirkTests); the reference does not model that, so such runs use a
            // power-of-two window.
            uint window = !legacy && b == 0 && anyWindow != 0 ? 1u << (31 - System.Numerics.BitOperations.LeadingZeroCount(anyWindow)) : anyWindow;
            var sa = new XfrmStateIn(default, XfrmMode.Tunnel, EspEncap.None, XfrmReplay.Create(mode, window, b));
            var reference = new SetWindow(legacy ? Math.Min(window, 32u) : window, b);
            var mib = new XfrmMib();
            foreach (var off in offsets)
            {
                long v = b + (long)off;
                uint seq = v < 0 ? 0u : v > uint.MaxValue ? uint.MaxValue : (uint)v;
                var expected = reference.Receive(seq);
                var actual = sa.Input(seq, mib);
                if (expected != actual) throw new InvalidOperationException($"{mode} w={window} base={b} seq={seq} expected {expected} actual {actual} after {string.Join(",", offsets)}");
            }
            return window == 0 || sa.Replay.Seq == reference.Top;
        }, iter: 300);
    }

    [Fact]
    public void Esn_matches_the_interval_reference_across_the_2_pow_32_boundary()
    {
        var gen = Gen.Select(Gen.Int[0, 12], Gen.Int[0, 2], Gen.UInt[0, 200], Gen.Bool,
            Gen.Select(Gen.Int[-9000, 9000], Gen.Int[0, 20]).Array[1, 300]);
        gen.Sample((log2Window, hi, loOffset, nearTop, steps) =>
        {
            uint window = 1u << log2Window;
            uint lo = nearTop ? uint.MaxValue - loOffset : loOffset;
            long top = ((long)hi << 32) | lo;
            var sa = new XfrmStateIn(default, XfrmMode.Tunnel, EspEncap.None, XfrmReplay.Create(XfrmReplayMode.Esn, window, lo, (uint)hi));
            var reference = new EsnSetWindow(window, top);
            var mib = new XfrmMib();
            long sender = top;
            foreach (var (delta, kind) in steps)
            {
                // Mostly moves around the reference top; sometimes a jump of about 2^32 (a huge
                // loss), which is where seq_hi inference goes wrong.
                long n = kind == 0 ? reference.Top + (1L << 32) + delta / 100 : reference.Top + delta % (3 * (int)window + 3);
                if (n < 0) n = 0;
                sender = n;
                var expected = reference.Receive((ulong)sender);
                var actual = sa.Input((ulong)sender, mib);
                if (expected != actual) return false;
                if ((((long)sa.Replay.SeqHi << 32) | sa.Replay.Seq) != reference.Top) return false;
            }
            return true;
        }, iter: 300);
    }

    [Fact]
    public void State_mtu_is_the_largest_inner_packet_that_fits_for_tunnel_and_transport()
    {
        // From 1400 up, xfrm_state_mtu never needs the IPv6 clamp to 1280 (tested separately).
        var gen = Gen.Select(Gen.Bool, Gen.Bool, Gen.Bool, Gen.Int[0, 3], Gen.Int[1400, 9000]);
        gen.Sample((tunnel, v6, udp, cipher, mtu) =>
        {
            var f = v6 ? IpFamily.Ipv6 : IpFamily.Ipv4;
            var g = new EspSaGeometry(tunnel ? XfrmMode.Tunnel : XfrmMode.Transport, f, f,
                udp ? EspEncap.EspInUdp : EspEncap.None, (EspCipher)cipher);
            int s = g.StateMtu(mtu);
            return g.Layout(s, mtu).Total <= mtu && g.Layout(s + 1, mtu).Total > mtu;
        }, iter: 500);
    }
}
