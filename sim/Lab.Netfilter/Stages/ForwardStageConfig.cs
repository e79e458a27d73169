using Lab.Core;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Nat;

namespace Lab.Netfilter.Stages;

/// <summary>
/// Everything a <see cref="ForwardStage"/> needs, as a scenario's <c>forward</c> element gives it:
/// the kernel version, how conntrack is sized and timed out, the forward-chain rules, an optional
/// source NAT, an optional flowtable (with hardware offload), the per-stage costs, and how flow ids
/// become tuples. Seed and replication come from the run, not from here.
/// </summary>
public sealed record ForwardStageConfig
{
    public KernelVersion Version { get; init; } = KernelVersion.Default;

    /// <summary>RAM of the simulated box: nf_conntrack_init_start sizes buckets and nf_conntrack_max from it (<see cref="ConntrackSizing.Defaults"/>).</summary>
    public long MemoryBytes { get; init; } = 8 * ConntrackSizing.GiB;

    /// <summary>nf_conntrack_buckets given explicitly (the hashsize module parameter), or null for the kernel's default from <see cref="MemoryBytes"/>.</summary>
    public int? Buckets { get; init; }

    /// <summary>net.netfilter.nf_conntrack_max given explicitly, or null for the kernel's default.</summary>
    public int? ConntrackMax { get; init; }

    public int Hz { get; init; } = 250;

    public bool TcpLoose { get; init; } = true;

    public ConntrackTimeouts Timeouts { get; init; } = new();

    public ForwardRules Rules { get; init; } = new();

    public ForwardingCosts Costs { get; init; } = new();

    /// <summary>The SNAT/masquerade rule in postrouting, or null for none.</summary>
    public NatRange? Snat { get; init; }

    /// <summary>The IPv6 side of the NAT rule (masquerade's out-interface IPv6 address, or <c>snat ip6 to</c>), or null.</summary>
    public NatRange? Snat6 { get; init; }

    /// <summary>A flowtable attached at ingress (with <c>flow add @ft</c> in the forward chain when <see cref="ForwardRules.FlowAdd"/>).</summary>
    public bool Flowtable { get; init; }

    public bool HardwareOffload { get; init; }

    public int HardwareCapacity { get; init; } = 65536;

    public long HardwareLatency { get; init; } = SimTime.Millisecond;

    public FlowAddressPlan Addresses { get; init; } = new();

    /// <summary>UDP: the server answers a flow's first packet once (the entry becomes replied); false leaves UDP entries unreplied (30 s timeout).</summary>
    public bool UdpReplies { get; init; } = true;

    /// <summary>Charge the CPU cost of the synthesized reply-direction packets to the core (false: they update state only).</summary>
    public bool ReplyCost { get; init; }

    /// <summary>Largest nf_conntrack_max the lab accepts (memory of the preallocated table).</summary>
    public const int MaxEntries = 1 << 24;

    /// <summary>The conntrack table configuration for one run.</summary>
    public ConntrackConfig ConntrackConfig(long seed, int replication)
    {
        var (buckets, max) = ConntrackSizing.Defaults(MemoryBytes, Version, Buckets);
        return new ConntrackConfig
        {
            Buckets = buckets,
            Max = ConntrackMax ?? max,
            Version = Version,
            Hz = Hz,
            Timeouts = Timeouts,
            TcpLoose = TcpLoose,
            Seed = seed,
            Replication = replication,
        };
    }

    public FlowtableConfig FlowtableConfig(int conntrackMax) => new()
    {
        Version = Version,
        // every flow holds a conntrack entry, so the table never needs more than conntrack can hold
        MaxFlows = conntrackMax + 64,
        HardwareOffload = HardwareOffload,
        HardwareCapacity = HardwareCapacity,
        HardwareInsertLatency = HardwareLatency,
    };

    public void Validate()
    {
        Addresses.Validate();
        if (ConntrackMax is < 1 or > MaxEntries) throw new LabInputException($"conntrack_max must be 1..{MaxEntries}, found {ConntrackMax}");
        if (Buckets is < 1 or > MaxEntries) throw new LabInputException($"conntrack_buckets must be 1..{MaxEntries}, found {Buckets}");
        if (MemoryBytes <= 0) throw new LabInputException($"memory must be positive, found {MemoryBytes} B");
        if (HardwareCapacity < 0) throw new LabInputException($"hardware capacity must not be negative, found {HardwareCapacity}");
        if (Rules.LinearRules < 0 || Rules.SetLookups < 0) throw new LabInputException("rule and set lookup counts must not be negative");
    }
}
