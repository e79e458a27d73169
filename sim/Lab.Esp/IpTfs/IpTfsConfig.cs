using Lab.Core;

namespace Lab.Esp.IpTfs;

/// <summary>How the IP-TFS sender decides when an outer packet leaves.</summary>
public enum IpTfsSendMode : byte
{
    /// <summary>
    /// Linux xfrm_iptfs.c (v6.14): demand driven. The first packet queued arms a timer of init_delay;
    /// when it fires the whole queue is packed into outer packets sent back to back
    /// (<c>iptfs_delay_timer</c>, <c>iptfs_output_queued</c>). No padding, no constant rate.
    /// </summary>
    Demand,

    /// <summary>RFC 9347 section 2.4.1: fixed-size outer packets at a constant rate, padded (or all-pad) when data is short.</summary>
    Constant,

    /// <summary>RFC 9347 section 2.4.2: fixed-size outer packets at a TFRC rate (RFC 5348) driven by the receiver's feedback.</summary>
    CongestionControlled,

    /// <summary>The baseline: plain RFC 4303 tunnel mode, one ESP packet per inner packet, sent at once.</summary>
    Tunnel,
}

/// <summary>The iptfs_out element's SA and sender settings.</summary>
public sealed record IpTfsOutConfig(
    IpTfsSendMode Mode,
    IpTfsGeometry Geometry,
    int PacketSize,
    int Mtu,
    double RateBitsPerSecond,
    long InitDelay,
    long MaxQueueBytes,
    bool DontFragment,
    long ReverseDelay,
    long ReverseInterval)
{
    /// <summary>IPTFS_DEFAULT_MAX_QUEUE_SIZE (xfrm_iptfs.c): 1024 * 10240 octets = 10 MiB (its comment says "1M").</summary>
    public const long DefaultMaxQueueBytes = 1024 * 10240;

    /// <summary>IPTFS_DEFAULT_INIT_DELAY_USECS: 0.</summary>
    public const long DefaultInitDelay = 0;

    public bool FixedSize => Mode is IpTfsSendMode.Constant or IpTfsSendMode.CongestionControlled;

    /// <summary>Data octets per outer packet: fixed-size modes fill packet_size (or the MTU); demand mode uses the kernel's bound.</summary>
    public int DataCapacity => FixedSize
        ? Geometry.FixedDataCapacity(PacketSize > 0 ? Math.Min(PacketSize, Mtu) : Mtu)
        : Geometry.KernelDataCapacity(PacketSize, Mtu);

    /// <summary>Octets of the fixed outer packet on the wire (frame + preamble and gap).</summary>
    public int FixedWireBytes => Geometry.OuterWireBytes(DataCapacity);

    /// <summary>Constant mode: ps between outer packets so that they fill <see cref="RateBitsPerSecond"/> on the wire.</summary>
    public double IntervalPs => FixedWireBytes * 8.0 * SimTime.Second / RateBitsPerSecond;

    public string? Validate()
    {
        if (Geometry.Esp.Mode != Sa.XfrmMode.Tunnel) return "IP-TFS needs a tunnel-mode SA (RFC 9347 section 5.1: AGGFRAG is not combined with transport mode)";
        if (DataCapacity < 1) return $"packet_size {PacketSize} B leaves no room for data after {Geometry.HeaderLen} B of headers";
        if (FixedSize && RateBitsPerSecond <= 0) return "rate must be positive in constant and cc mode";
        return null;
    }
}

/// <summary>The iptfs_in element's settings (tunnel egress, XFRM_SA_DIR_IN).</summary>
public sealed record IpTfsInConfig(string Sender, int ReorderWindow, long DropTime)
{
    /// <summary>IPTFS_DEFAULT_REORDER_WINDOW (xfrm_iptfs.c): 3, as RFC 9347 section 2.2.3 suggests.</summary>
    public const int DefaultReorderWindow = 3;

    /// <summary>IPTFS_DEFAULT_DROP_TIME_USECS: 1 s.</summary>
    public const long DefaultDropTime = SimTime.Second;
}
