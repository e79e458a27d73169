using Lab.Models;
using Lab.Core;

namespace Lab.Esp;

/// <summary>The ESP datapath model as <c>lab describe esp</c> prints it: summary, kernel counterpart and notes (its parameters are the elements' keys).</summary>
public static class EspModel
{
    public static ModelDescription Describe() => new(
        Name: "esp",
        Summary: "ESP datapath: SPD/SAD lookup, outbound sequence numbers, wire sizes and MTU, kernel-exact anti-replay (legacy, bmp, esn) with seq_hi inference, per-SA and MIB counters",
        KernelCounterpart: $"Linux {KernelReference.Version}: net/xfrm/xfrm_replay.c, xfrm_input.c, xfrm_output.c, xfrm_state.c (xfrm_state_mtu), xfrm_policy.c, xfrm_user.c; net/ipv4/esp4.c, net/ipv6/esp6.c; {KernelReference.Rfcs}",
        // The keys live on the path elements that bind them (esp_out, esp_in, esp_crypto): lab describe esp lists theirs.
        Parameters: [],
        Notes:
        [
            "Inbound order (xfrm_input): SA lookup (XfrmInNoStates), encap check (XfrmInStateMismatch), replay check (XfrmInStateSeqError), seq_hi inference, ICV (integrity_failed + XfrmInStateProtoError), recheck (XfrmInStateSeqError), advance.",
            "Sequence number 0 is dropped by legacy and bmp, and by esn while seq_hi is 0 and the window still spans subspaces; it has no per-SA counter, only XfrmInStateSeqError.",
            "ESN: only the low half travels. A packet older than the window is taken for the next subspace, its ICV fails, and it counts as integrity_failed, not replay_window (RFC 4303 appendix A2.2).",
            "ESN recheck counts a seq_hi that moved since the check (only possible with asynchronous crypto) as replay_window.",
            "A jump ahead by the window or more clears the whole bitmap (bmp, esn) or resets it to 1 (legacy).",
            "Outbound: the first packet carries 1; a 32-bit counter stops the SA at 0xffffffff (XfrmOutStateSeqError) unless OSEQ_MAY_WRAP (esp_out.may_wrap), then the next packet carries 0. GSO: software crypto numbers each segment; crypto offload advances by the segment count at once.",
            "Legacy windows above 32 are clamped to 32 by the kernel (copy_from_user_state); iproute2 switches to the bmp variant for windows above 32.",
            "Kernel quirk reproduced: bmp/esn windows that do not divide 2^32 (e.g. 100) place the first packet of a fresh SA at bit (0xffffffff % W + 1) % W instead of 0, so one replay of that packet is accepted; an ESN window crossing 2^32 misplaces the ring the same way. Power-of-two windows are exact.",
            "CPU cost: a fixed cost per packet (esp_out.per_packet, esp_in.per_packet) plus cycles_per_byte at core_ghz; the per-byte cost is the same for every transform (not modelled: per-cipher costs, a fixed crypto cost per packet).",
            "BEET over IPv4 with an IPv4 inner selector reserves 8 bytes for a pseudo-header in xfrm_state_mtu even when no IP options need it.",
        ]);
}
