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
    /// <summary>The kernel source the model follows (the elements' keys cite it).</summary>
    public const string Kernel = "net/xfrm/xfrm_iptfs.c (Linux v6.14)";

    public static ModelDescription Describe() => new(
        "iptfs",
        "IP-TFS (RFC 9347): aggregation and fragmentation of inner packets into ESP outer packets; demand-driven (Linux), constant-rate or congestion-controlled; reorder window, drop timer, reassembly",
        $"{Kernel}: iptfs_output_collect, iptfs_enqueue, iptfs_delay_timer, iptfs_output_queued, iptfs_copy_create_frags; iptfs_input, iptfs_input_reorder, __reorder_*, iptfs_drop_timer, iptfs_reassem_cont, __input_process_payload",
        [], // keys are declared once, on the iptfs_out and iptfs_in elements (Lab.Simulation); lab describe iptfs lists them from there
        [
            "Kernel validation does not cover IP-TFS: no Debian kernel here has it (CONFIG_XFRM_IPTFS is new in 6.14), so the kernel validation cannot replay it; the model rests on the source and RFC 9347.",
            "Linux v6.14 only sends on demand (Kconfig: 'Congestion control is unimplemented as the send rate is demand driven'): no padding, no constant rate. constant and cc follow RFC 9347 sections 2.4.1 and 2.4.2.",
            "cc simplifications: the feedback travels a fixed reverse_delay; the receiver knows a lost packet's send time (RFC 5348 5.2 interpolates it); the first loss interval is the packet count before the first loss (RFC 5348 6.3.1 derives it from the receive rate); X_recv = X (RFC 9347 appendix B).",
            "Headers: basic AGGFRAG 4 B (sub-type 0), congestion-control 24 B (sub-type 1); ESP next header 144. x->props.header_len = ESP 8 + IV + outer IP + 4.",
            "A receiver quirk kept from the kernel: while a reassembly waits, a payload with BlockOffset 0 counts as all-pad and is skipped whole (iptfs_reassem_cont tests the header's sub-type octet).",
            "Without a reorder window (0) the model gives up an outer packet sent more than drop_time ago that has not arrived; the kernel would still process it later.",
            "Metrics: iptfs_out.wire_efficiency (inner octets / outer wire octets), padding_share, queue_wait_mean_us, size_cv and gap_cv (0 = outer stream independent of inner traffic), XfrmOutNoQueueSpace; iptfs_in.outer_lost, inner_lost, loss_amplification (inner lost per outer lost), XfrmInIptfsError.",
            "The outer packet is a pooled packet carrying its ESP sequence number; what it carries lives in a ledger ring buffer (no allocation per packet).",
        ]);
}
