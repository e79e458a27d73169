using Lab.Models;
using Lab.Core;

namespace Lab.Esp.IpTfs;

/// <summary>
/// IP-TFS / AGGFRAG (RFC 9347) on an ESP tunnel SA, as Linux v6.14 implements it in
/// net/xfrm/xfrm_iptfs.c (CONFIG_XFRM_IPTFS), plus the RFC's fixed-size constant-rate and
/// congestion-controlled senders, which the kernel does not have. No Debian kernel the lab boots
/// has IP-TFS, so `lab validate` cannot check this model against a real kernel.
/// </summary>
public static class IpTfsModel
{
    const string Kernel = "net/xfrm/xfrm_iptfs.c (Linux v6.14)";

    public static IReadOnlyList<ParameterSpec> Parameters { get; } =
    [
        new("iptfs_out.name", "string", "iptfs_out", "", "lab", "Element name (drop reasons and metrics use it)."),
        new("iptfs_out.mode", "demand|constant|cc|tunnel", "demand", "", $"{Kernel}; RFC 9347 sections 2.4.1, 2.4.2",
            "demand: the kernel's sender (timer of init_delay, then the whole queue, no padding). constant: fixed-size packets at `rate`, padded (RFC 9347 2.4.1). cc: fixed-size packets at a TFRC rate up to `rate` (2.4.2, RFC 5348). tunnel: plain RFC 4303 tunnel mode, one ESP packet per inner packet (baseline)."),
        new("iptfs_out.family", "ipv4|ipv6", "ipv4", "", "esp4.c / esp6.c", "Outer IP family."),
        new("iptfs_out.inner_family", "ipv4|ipv6", "ipv4", "", "RFC 9347 section 6.1.3", "Inner IP family (decides the data block's length field: IPv4 Total Length, IPv6 Payload Length)."),
        new("iptfs_out.encap", "none|udp", "none", "", "RFC 3948", "UDP encapsulation of the outer packets."),
        new("iptfs_out.cipher", "gcm16|cbc-sha256|null|null-noauth", "gcm16", "", "esp_output (esp4.c)", "Transform: IV, block and ICV sizes."),
        new("iptfs_out.packet_size", "size", "0B", "0 or > header_len", $"{Kernel} XFRMA_IPTFS_PKT_SIZE; RFC 9347 section 4.2",
            "Outer IP packet size; 0 = from the path MTU. demand: the kernel's payload_mtu = pkt_size - header_len (trailer and ICV come on top). constant, cc: the exact fixed size."),
        new("iptfs_out.mtu", "size", "1500B", ">= 576", "xfrm_state_mtu / iptfs_get_cur_pmtu", "Path MTU of the outer packets."),
        new("iptfs_out.rate", "bit rate", "(required for constant and cc)", "> 0", "RFC 9347 sections 2, 4.1",
            "constant: the outer send rate; cc: its ceiling. Counted on the wire (frame + 20 B), as link rates are."),
        new("iptfs_out.init_delay", "duration", "0s", ">= 0", $"{Kernel} IPTFS_DEFAULT_INIT_DELAY_USECS", "demand: time from the first packet queued (on an empty queue) to sending the queue."),
        new("iptfs_out.max_queue_size", "size", "10MiB", "> 0", $"{Kernel} IPTFS_DEFAULT_MAX_QUEUE_SIZE = 1024 * 10240 (its comment says 1M)",
            "Octets of inner packets queued; beyond it packets are dropped (XfrmOutNoQueueSpace). Above 95% they are marked ECN CE (counted)."),
        new("iptfs_out.dont_frag", "boolean", "false", "", $"{Kernel} XFRMA_IPTFS_DONT_FRAG; RFC 9347 section 6.1.4 (D bit)",
            "Never split an inner packet: larger ones are dropped (XfrmOutError, ICMP too big); constant mode pads instead of fragmenting."),
        new("iptfs_out.reverse_delay", "duration", "10ms", ">= 0", "assumption", "cc: one-way delay of the receiver's congestion information back to the sender."),
        new("iptfs_out.reverse_interval", "duration", "1ms", "> 0", "assumption (RFC 9347 section 3: Transmit Delay)", "cc: the receiver's own send interval on its SA: feedback goes out at most this often, and it is the reported Transmit Delay."),
        new("iptfs_in.name", "string", "iptfs_in", "", "lab", "Element name."),
        new("iptfs_in.sender", "string", "iptfs_out", "", "lab", "The iptfs_out element whose SA this one receives."),
        new("iptfs_in.reorder_window", "integer", "3", "0..65535", $"{Kernel} IPTFS_DEFAULT_REORDER_WINDOW; RFC 9347 section 2.2.3",
            "Outer packets that may arrive early and wait for a missing one; 0 = no reordering (the kernel's fast path)."),
        new("iptfs_in.drop_time", "duration", "1s", "> 0", $"{Kernel} IPTFS_DEFAULT_DROP_TIME_USECS",
            "How long a missing outer packet is waited for (from the newest saved one), and an in-progress reassembly."),
    ];

    public static ModelDescription Describe() => new(
        "iptfs",
        "IP-TFS (RFC 9347): aggregation and fragmentation of inner packets into ESP outer packets; demand-driven (Linux), constant-rate or congestion-controlled; reorder window, drop timer, reassembly",
        $"{Kernel}: iptfs_output_collect, iptfs_enqueue, iptfs_delay_timer, iptfs_output_queued, iptfs_copy_create_frags; iptfs_input, iptfs_input_reorder, __reorder_*, iptfs_drop_timer, iptfs_reassem_cont, __input_process_payload",
        Parameters,
        [
            "Kernel validation does not cover IP-TFS: no Debian kernel here has it (CONFIG_XFRM_IPTFS is new in 6.14), so `lab validate` cannot replay it; the model rests on the source and RFC 9347.",
            "Linux v6.14 only sends on demand (Kconfig: 'Congestion control is unimplemented as the send rate is demand driven'): no padding, no constant rate. constant and cc follow RFC 9347 sections 2.4.1 and 2.4.2.",
            "cc simplifications: the feedback travels a fixed reverse_delay; the receiver knows a lost packet's send time (RFC 5348 5.2 interpolates it); the first loss interval is the packet count before the first loss (RFC 5348 6.3.1 derives it from the receive rate); X_recv = X (RFC 9347 appendix B).",
            "Headers: basic AGGFRAG 4 B (sub-type 0), congestion-control 24 B (sub-type 1); ESP next header 144. x->props.header_len = ESP 8 + IV + outer IP + 4.",
            "A receiver quirk kept from the kernel: while a reassembly waits, a payload with BlockOffset 0 counts as all-pad and is skipped whole (iptfs_reassem_cont tests the header's sub-type octet).",
            "Without a reorder window (0) the model gives up an outer packet sent more than drop_time ago that has not arrived; the kernel would still process it later.",
            "Metrics: iptfs_out.wire_efficiency (inner octets / outer wire octets), padding_share, queue_wait_mean_us, size_cv and gap_cv (0 = outer stream independent of inner traffic), XfrmOutNoQueueSpace; iptfs_in.outer_lost, inner_lost, loss_amplification (inner lost per outer lost), XfrmInIptfsError.",
            "The outer packet is a pooled packet carrying its ESP sequence number; what it carries lives in a ledger ring buffer (no allocation per packet).",
        ]);
}
