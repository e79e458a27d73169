using Lab.Engine;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Nat;
using Lab.Core;

namespace Lab.Netfilter.Churn;

/// <summary>A CGNAT churn workload: subscribers behind a NAT pool opening short flows to a set of destinations.</summary>
public sealed record ChurnConfig
{
    public int Subscribers { get; init; } = 10_000;

    /// <summary>Public addresses of the SNAT pool (contiguous, starting at 203.0.113.1).</summary>
    public int PublicAddresses { get; init; } = 1;

    public int Destinations { get; init; } = 1;

    public ushort DestinationPort { get; init; } = 53;

    public IpProto Proto { get; init; } = IpProto.Udp;

    public double NewFlowsPerSecond { get; init; } = 1000;

    /// <summary>Poisson arrivals (true) or evenly spaced ones.</summary>
    public bool Poisson { get; init; } = true;

    public long Duration { get; init; } = 60 * SimTime.Second;

    public long SampleInterval { get; init; } = SimTime.Second;

    /// <summary>Share of flows that get one reply packet (a DNS answer); 0 = one-way flows.</summary>
    public double ReplyProbability { get; init; }

    public long ReplyDelay { get; init; } = 20 * SimTime.Millisecond;

    /// <summary>Source ports the subscribers' stacks pick from (net.ipv4.ip_local_port_range default 32768-60999).</summary>
    public ushort EphemeralMin { get; init; } = 32768;

    public ushort EphemeralMax { get; init; } = 60999;

    public NatRangeFlags NatFlags { get; init; }

    public ConntrackConfig Conntrack { get; init; } = new() { Buckets = 262144, Max = 262144 };

    public long Seed { get; init; } = 1;

    public int Replication { get; init; }

    public void Validate()
    {
        if (Subscribers < 1 || Subscribers > 16_000_000) throw new LabInputException($"subscribers must be 1..16000000, found {Subscribers}");
        if (PublicAddresses < 1 || PublicAddresses > 65536) throw new LabInputException($"public addresses must be 1..65536, found {PublicAddresses}");
        if (Destinations < 1 || Destinations > 16_000_000) throw new LabInputException($"destinations must be 1..16000000, found {Destinations}");
        if (!(NewFlowsPerSecond > 0)) throw new LabInputException($"new flow rate must be positive, found {NewFlowsPerSecond}");
        if (Duration <= 0 || SampleInterval <= 0) throw new LabInputException("duration and sample interval must be positive");
        if (ReplyProbability is < 0 or > 1) throw new LabInputException($"reply probability must be 0..1, found {ReplyProbability}");
        if (EphemeralMin > EphemeralMax) throw new LabInputException("ephemeral port range is empty");
        Conntrack.Validate();
    }
}

/// <summary>One occupancy sample: nf_conntrack_count at a time.</summary>
public readonly record struct OccupancySample(long Time, int Entries, long NatExhaustedSoFar, long DroppedSoFar);

public sealed class ChurnResult
{
    public required IReadOnlyList<OccupancySample> Occupancy { get; init; }
    public long NewFlows { get; init; }
    public long AcceptedFlows { get; init; }
    public long ReusedTuples { get; init; }

    /// <summary>Dropped new flows by reason (index = <see cref="CtDropReason"/>).</summary>
    public required long[] DropsByReason { get; init; }

    /// <summary>Histogram of nf_nat_used_tuple checks per new flow (index = checks, last bin = 249 and more).</summary>
    public required long[] AttemptHistogram { get; init; }

    public double MeanAttempts { get; init; }
    public int MaxAttempts { get; init; }

    /// <summary>Time of the first dropped new flow, or null: the time to exhaustion.</summary>
    public long? FirstDropAt { get; init; }

    public int PeakEntries { get; init; }

    /// <summary>Kernel memory the peak would take (<see cref="ConntrackSizing.MemoryBytes"/>).</summary>
    public long PeakMemoryBytes { get; init; }

    public required ConntrackStats Conntrack { get; init; }
    public required NatStats Nat { get; init; }

    public long Dropped
    {
        get
        {
            long s = 0;
            foreach (var d in DropsByReason) s += d;
            return s;
        }
    }
}

/// <summary>
/// Drives a <see cref="ConntrackTable"/> and a <see cref="NatPortAllocator"/> with a churn of new
/// flows in simulated time, in kernel order per packet (lookup, init_conntrack, protocol tracker,
/// SNAT setup, confirm), with the conntrack gc worker running at the times it schedules itself.
/// Deterministic for a given (seed, replication); allocation-free per flow after start-up.
/// </summary>
public static class ChurnWorkload
{
    public static ChurnResult Run(ChurnConfig cfg)
    {
        cfg.Validate();
        var table = new ConntrackTable(cfg.Conntrack);
        var nat = new NatPortAllocator(table, cfg.Seed, cfg.Replication);
        var rnd = RandomStream.For(cfg.Seed, cfg.Replication, "netfilter.churn");
        var range = NatRange.SnatPool(FlowTuple.Ip(203, 0, 113, 1), cfg.PublicAddresses, cfg.NatFlags);
        uint subnetBase = FlowTuple.Ip(10, 0, 0, 0) + 1;
        uint destBase = FlowTuple.Ip(198, 18, 0, 0) + 1;
        double meanGapPs = SimTime.Second / cfg.NewFlowsPerSecond;

        var samples = new List<OccupancySample>((int)Math.Min(1_000_000, cfg.Duration / cfg.SampleInterval + 2));
        var drops = new long[Enum.GetValues<CtDropReason>().Length];
        var histogram = new long[250];
        // replies leave in arrival order (fixed delay): a ring of (time, reply tuple)
        int ringSize = (int)Math.Min(1 << 24, Math.Max(16, cfg.NewFlowsPerSecond * SimTime.ToSeconds(cfg.ReplyDelay) * 4 + 16));
        var replyAt = new long[ringSize];
        var replyTuple = new FlowTuple[ringSize];
        int ringHead = 0, ringCount = 0;

        long now = 0, nextArrival = NextGap(), nextSample = 0, newFlows = 0, accepted = 0, reused = 0, attemptsSum = 0;
        long? firstDrop = null;
        int peak = 0;
        var tcpFirst = cfg.Proto == IpProto.Tcp ? TcpFlags.Syn : TcpFlags.None;

        while (true)
        {
            long nextReply = ringCount > 0 ? replyAt[ringHead] : long.MaxValue;
            long nextGc = table.NextGcRunAt;
            long t = Math.Min(Math.Min(nextSample, nextGc), Math.Min(nextReply, nextArrival));
            if (t > cfg.Duration) break;
            now = t;
            if (t == nextSample)
            {
                samples.Add(new OccupancySample(now, table.Count, nat.Stats.LabExhausted, Sum(drops)));
                nextSample += cfg.SampleInterval;
            }
            else if (t == nextGc)
            {
                table.RunGc(now);
            }
            else if (t == nextReply)
            {
                var rt = replyTuple[ringHead];
                ringHead = (ringHead + 1) % ringSize;
                ringCount--;
                int id = table.Find(rt, now, out var dir);
                if (id >= 0) table.HandlePacket(id, dir, cfg.Proto == IpProto.Tcp ? TcpFlags.SynAck : TcpFlags.None, now);
            }
            else
            {
                nextArrival = now + NextGap();
                var orig = new FlowTuple(
                    subnetBase + (uint)rnd.NextBelow((ulong)cfg.Subscribers),
                    destBase + (uint)rnd.NextBelow((ulong)cfg.Destinations),
                    (ushort)rnd.NextInt(cfg.EphemeralMin, cfg.EphemeralMax + 1),
                    cfg.DestinationPort,
                    cfg.Proto);
                int existing = table.Find(orig, now, out var d0);
                if (existing >= 0)
                {
                    reused++;
                    table.HandlePacket(existing, d0, tcpFirst, now);
                    continue;
                }
                newFlows++;
                int id = table.InitConntrack(orig, now, out var reason);
                if (id < 0)
                {
                    Drop(reason);
                    continue;
                }
                table.HandlePacket(id, CtDir.Original, tcpFirst, now);
                nat.SetupSnat(id, range, now);
                int a = nat.LastAttempts;
                attemptsSum += a;
                histogram[Math.Min(a, histogram.Length - 1)]++;
                if (table.Confirm(id, now, out int ct, out reason) == CtVerdict.Drop)
                {
                    Drop(reason);
                    continue;
                }
                accepted++;
                if (table.Count > peak) peak = table.Count;
                if (cfg.ReplyProbability > 0 && rnd.NextBool(cfg.ReplyProbability) && ringCount < ringSize)
                {
                    int slot = (ringHead + ringCount) % ringSize;
                    replyAt[slot] = now + cfg.ReplyDelay;
                    replyTuple[slot] = table.Entry(ct).Reply;
                    ringCount++;
                }
            }
        }

        return new ChurnResult
        {
            Occupancy = samples,
            NewFlows = newFlows,
            AcceptedFlows = accepted,
            ReusedTuples = reused,
            DropsByReason = drops,
            AttemptHistogram = histogram,
            MeanAttempts = newFlows == 0 ? 0 : attemptsSum / (double)Math.Max(1, nat.Stats.LabSetups),
            MaxAttempts = nat.Stats.LabMaxAttempts,
            FirstDropAt = firstDrop,
            PeakEntries = peak,
            PeakMemoryBytes = ConntrackSizing.MemoryBytes(peak, cfg.Conntrack.Buckets),
            Conntrack = table.Stats,
            Nat = nat.Stats,
        };

        long NextGap() => cfg.Poisson
            ? Math.Max(1, (long)rnd.Exponential(meanGapPs))
            : (long)meanGapPs;

        void Drop(CtDropReason r)
        {
            drops[(int)r]++;
            firstDrop ??= now;
        }
    }

    static long Sum(long[] a)
    {
        long s = 0;
        foreach (var x in a) s += x;
        return s;
    }
}
