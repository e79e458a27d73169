using Lab.Models;
using Lab.Core;

namespace Lab.Esp;

/// <summary>The ESP datapath model as <c>lab describe esp</c> prints it.</summary>
public static class EspModel
{
    public static ModelDescription Describe() => new(
        Name: "esp",
        Summary: "ESP datapath: SPD/SAD lookup, outbound sequence numbers, wire sizes and MTU, kernel-exact anti-replay (legacy, bmp, esn) with seq_hi inference, per-SA and MIB counters",
        KernelCounterpart: $"Linux {KernelReference.Version}: net/xfrm/xfrm_replay.c, xfrm_input.c, xfrm_output.c, xfrm_state.c (xfrm_state_mtu), xfrm_policy.c, xfrm_user.c; net/ipv4/esp4.c, net/ipv6/esp6.c; {KernelReference.Rfcs}",
        Parameters:
        [
            new("esp.replay.variant", "-", "legacy", "legacy | bmp | esn",
                "net/xfrm/xfrm_replay.c xfrm_init_replay; iproute2 ip/xfrm_state.c sends XFRMA_REPLAY_ESN_VAL for flag esn or replay-window > 32",
                "Anti-replay implementation: legacy 32-bit bitmap, bmp ring bitmap, esn 64-bit sequence numbers"),
            new("esp.replay.window", "packets", "32", "legacy 0..32 (larger is clamped to 32), bmp 0..4096, esn 1..4096 inbound",
                "strongSwan charon.replay_window default 32; xfrm_user.c copy_from_user_state clamps legacy to 32; XFRMA_REPLAY_ESN_MAX 4096; iproute2 default 0",
                "Replay window; 0 disables replay protection (legacy, bmp); the kernel rejects 0 for an inbound ESN SA"),
            new("esp.replay.init_seq", "-", "0", "0..0xffffffff", "iproute2 replay-seq (XFRMA_REPLAY_VAL / ESN attribute seq)",
                "Initial top of the window; the bitmap starts empty"),
            new("esp.replay.init_seq_hi", "-", "0", "0..0xffffffff (esn only)", "iproute2 replay-seq-hi", "Initial high half for ESN"),
            new("esp.oseq_may_wrap", "bool", "false", "true | false", "XFRM_SA_XFLAG_OSEQ_MAY_WRAP, xfrm_replay.c __xfrm_replay_overflow",
                "Let a 32-bit outbound counter wrap to 0 instead of stopping the SA with -EOVERFLOW (no effect with ESN)"),
            new("esp.mode", "-", "tunnel", "transport | tunnel | beet", "RFC 4303 section 3.1; xfrm_output.c", "Encapsulation mode"),
            new("esp.family", "-", "ipv4", "ipv4 | ipv6", "esp4.c / esp6.c", "Outer IP version (inner may differ in tunnel and BEET mode)"),
            new("esp.encap", "-", "none", "none | udp", "RFC 3948; esp_output_udp_encap, UDP port 4500", "UDP encapsulation (+8 bytes)"),
            new("esp.cipher", "-", "gcm16", "gcm16 | cbc-sha256 | null | null-noauth",
                "RFC 4106 (IV 8, ICV 16); RFC 3602 + RFC 4868 (IV 16, block 16, ICV 16); RFC 2410 null + HMAC-SHA-256-128; digest_null per esp_init_authenc",
                "Transform; decides IV, padding boundary (ALIGN(blocksize, 4)) and ICV length"),
            new("esp.tfcpad", "bytes", "0", "0..mtu, tunnel mode only", "XFRMA_TFCPAD; esp4.c esp_output pads to min(tfcpad, xfrm_state_mtu)",
                "Traffic-flow-confidentiality padding target (RFC 4303 section 2.4)"),
            new("esp.mtu", "bytes", "1500", "68..65535 (IPv4), 1280..65535 (IPv6)", "Ethernet default MTU",
                "Route MTU below the SA; xfrm_state_mtu derives the largest inner packet from it"),
            new("esp.df", "bool", "true", "true | false", "Linux default IP_PMTUDISC_WANT for TCP sets DF; xfrm4_tunnel_check_size",
                "Inner IPv4 DF bit: set = drop with ICMP fragmentation needed when too big, clear = fragment the outer packet"),
            new("esp.crypto.async", "bool", "false", "true | false", "cryptd / pcrypt; xfrm_input resumes via xfrm_input_resume",
                "Asynchronous crypto: packets can complete out of order between replay check and recheck (the simulator models the gap)"),
            new("esp.cost.input_ns_per_packet", "ns", "150", "0..", "assumption (no published per-stage figure found); cross-check [A] VPP 2.13 Mpps IMIX per core incl. crypto",
                "Fixed xfrm_input + esp_input cost per packet per core, excluding the cipher's per-byte work"),
            new("esp.cost.output_ns_per_packet", "ns", "150", "0..", "assumption (as above)",
                "Fixed xfrm_output + esp_output cost per packet per core, excluding per-byte work"),
            new("esp.crypto.cycles_per_packet", "cycles", "1000", "0..", "assumption: AEAD request setup, scatterlist, IV, GHASH/HMAC finalisation",
                "Fixed crypto cost per packet"),
            new("esp.crypto.gcm16_cycles_per_byte", "cycles/B", "1.03", "0..", "[R] Gueron, AES-GCM software performance on Haswell with AES-NI and PCLMULQDQ (2013): about 1 cycle/byte; re-check before freezing",
                "AES-GCM cost per byte of payload"),
            new("esp.crypto.cbc_sha256_cycles_per_byte", "cycles/B", "11", "0..", "assumption: AES-256-CBC encryption is serial (14 rounds x ~4-cycle AESENC latency / 16 B = 3.5) + SHA-256 without SHA extensions (~7.5)",
                "AES-CBC + HMAC-SHA-256 cost per byte"),
            new("esp.crypto.null_cycles_per_byte", "cycles/B", "7.5", "0..", "assumption: SHA-256 without SHA extensions",
                "NULL encryption + HMAC-SHA-256 cost per byte (null-noauth: 0)"),
            new("esp.cpu.ghz", "GHz", "3.0", "0.1..", "assumption", "Core clock that converts cycles into time"),
        ],
        Notes:
        [
            "Inbound order (xfrm_input): SA lookup (XfrmInNoStates), encap check (XfrmInStateMismatch), replay check (XfrmInStateSeqError), seq_hi inference, ICV (integrity_failed + XfrmInStateProtoError), recheck (XfrmInStateSeqError), advance.",
            "Sequence number 0 is dropped by legacy and bmp, and by esn while seq_hi is 0 and the window still spans subspaces; it has no per-SA counter, only XfrmInStateSeqError.",
            "ESN: only the low half travels. A packet older than the window is taken for the next subspace, its ICV fails, and it counts as integrity_failed, not replay_window (RFC 4303 appendix A2.2).",
            "ESN recheck counts a seq_hi that moved since the check (only possible with asynchronous crypto) as replay_window.",
            "A jump ahead by the window or more clears the whole bitmap (bmp, esn) or resets it to 1 (legacy).",
            "Outbound: the first packet carries 1; a 32-bit counter stops the SA at 0xffffffff (XfrmOutStateSeqError) unless OSEQ_MAY_WRAP, then the next packet carries 0. GSO: software crypto numbers each segment; crypto offload advances by the segment count at once.",
            "Legacy windows above 32 are clamped to 32 by the kernel (copy_from_user_state); iproute2 switches to the bmp variant for windows above 32.",
            "Kernel quirk reproduced: bmp/esn windows that do not divide 2^32 (e.g. 100) place the first packet of a fresh SA at bit (0xffffffff % W + 1) % W instead of 0, so one replay of that packet is accepted; an ESN window crossing 2^32 misplaces the ring the same way. Power-of-two windows are exact.",
            "BEET over IPv4 with an IPv4 inner selector reserves 8 bytes for a pseudo-header in xfrm_state_mtu even when no IP options need it.",
        ]);
}
