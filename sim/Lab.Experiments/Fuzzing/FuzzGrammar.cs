using System.Globalization;

namespace Lab.Experiments.Fuzzing;

/// <summary>What a kernel can be given beyond plain forwarding with conntrack and NAT.</summary>
/// <param name="Flowtable">An nftables flowtable (the VM's kernel; not the host's here).</param>
/// <param name="ConntrackMax">nf_conntrack_max settable in the DUT (read-only in a host namespace other than the initial one).</param>
public sealed record FuzzKernelCapabilities(bool Flowtable, bool ConntrackMax)
{
    public static readonly FuzzKernelCapabilities Host = new(false, false);
}

/// <summary>
/// Generates random scripted scenarios for <c>lab fuzz</c>: 1 to 4 UDP or TCP flows between a few
/// clients (10.0.0.1-3, source ports chosen to fall into each NAT port class and to clash) and two
/// servers; UDP flows with replies at random times; TCP flows along a handshake and a close from
/// either side, cut short at a random point, with RSTs, retransmitted SYNs and mid-stream pickups;
/// masquerade or snat with small port ranges and the nft flags; short conntrack timeouts (1-3 s,
/// so expiry and the UDP 2-second rule happen within a case); tcp_loose on or off; flowtable and
/// nf_conntrack_max only where the kernel takes them (<see cref="FuzzKernelCapabilities"/>); probes at
/// random instants and one after the last packet (where the instants leave room for it). A case spans 1 to 3 s of real time.
/// <para>
/// Timing: the kernel plays in real time and its timeouts run in jiffies, so an event whose distance
/// from an earlier event is within <see cref="MarginMs"/> of a whole second (a timeout boundary, the
/// UDP 2 s rule) would make the verdict depend on scheduling. Instants are drawn so no two differ by
/// 1 s, 2 s, ... within that margin (equal instants are allowed: they are played back to back in both).
/// </para>
/// Deterministic: case <c>i</c> of seed <c>S</c> is the same on every machine (SplitMix64, no System.Random).
/// </summary>
public static class FuzzGrammar
{
    /// <summary>Distance kept from whole-second differences between instants, in ms.</summary>
    public const int MarginMs = 80;

    static readonly string[] Clients = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
    static readonly ushort[] ClientPorts = [100, 101, 700, 1000, 5000, 5001, 40000];
    static readonly string[] Servers = ["198.18.0.1", "198.18.0.2"];
    static readonly ushort[] ServerPorts = [53, 80];
    static readonly string[] TimeoutKeys =
        ["udp", "udp_stream", "tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait", "tcp_close_wait", "tcp_last_ack", "tcp_time_wait", "tcp_close", "tcp_unack"];

    public static FuzzCase Generate(long seed, int index, string kernel, FuzzKernelCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(capabilities);
        var r = new SplitMix64(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index * 0xD1B54A32D192ED03UL + 1));
        int span = 1000 + r.Next(2001);
        var times = new InstantPool(r, span);

        int flowCount = 1 + r.Next(4);
        var flows = new List<FuzzFlow>();
        var packets = new List<FuzzPacket>();
        for (int f = 0; f < flowCount; f++)
        {
            string label = "f" + (f + 1).ToString(CultureInfo.InvariantCulture);
            string proto = r.Next(2) == 0 ? "udp" : "tcp";
            flows.Add(new FuzzFlow(label, proto, r.Pick(Clients), r.Pick(ClientPorts), r.Pick(Servers), r.Pick(ServerPorts)));
            var steps = proto == "udp" ? UdpSteps(r) : TcpSteps(r);
            var at = times.Draw(steps.Count);
            for (int k = 0; k < steps.Count; k++)
                packets.Add(new FuzzPacket(at[k], label, steps[k].Reply, steps[k].Flags, r.Next(8) == 0 ? 64 + r.Next(1400) : 64));
        }
        // Stable: equal instants keep the flows' order.
        packets = [.. packets.Select((p, i) => (p, i)).OrderBy(x => x.p.AtMs).ThenBy(x => x.i).Select(x => x.p)];

        int last = packets.Max(p => p.AtMs);
        var probes = times.Draw(r.Next(4)).ToList();
        // The closing probe, 0.1-0.9 s after the last packet, where the instants leave room for it: with
        // many instants their 160 ms exclusion zones (mod 1 s) can cover every candidate.
        probes.AddRange(times.DrawAfter(last + 100, last + 900));
        probes = [.. probes.Distinct().Order()];

        var timeouts = TimeoutKeys.Where(_ => r.Next(3) == 0).Select(k => new KeyValuePair<string, int>(k, 1 + r.Next(3))).ToList();
        bool? loose = r.Next(4) == 0 ? r.Next(2) == 0 : null;
        int? max = capabilities.ConntrackMax && r.Next(4) == 0 ? 1 + r.Next(4) : null;
        bool flowtable = capabilities.Flowtable && r.Next(3) == 0;
        return new FuzzCase(string.Create(CultureInfo.InvariantCulture, $"fuzz-{seed}-{index}"), kernel, flows, packets, Nat(r), timeouts, probes, loose, max, flowtable);
    }

    static FuzzNat? Nat(SplitMix64 r)
    {
        switch (r.Next(5))
        {
            case 0: return null;
            case 1: return new FuzzNat(true, null, null, []);
        }
        bool masquerade = r.Next(2) == 0;
        string? address = masquerade || r.Next(2) == 0 ? null : r.Pick(["203.0.113.1", "203.0.113.1-203.0.113.2"]);
        string? ports = r.Next(3) == 0 ? null : r.Pick(["1024-1025", "2000-2003", "600-601", "5000-5000", "40000-40009"]);
        var flags = new List<string>();
        if (r.Next(4) == 0) flags.Add("random");
        if (r.Next(4) == 0) flags.Add("fully-random");
        if (r.Next(4) == 0) flags.Add("persistent");
        return new FuzzNat(masquerade, address, ports, flags);
    }

    readonly record struct Step(bool Reply, string? Flags);

    static List<Step> UdpSteps(SplitMix64 r)
    {
        var steps = new List<Step> { new(false, null) };
        int more = r.Next(5);
        for (int k = 0; k < more; k++) steps.Add(new Step(r.Next(2) == 0, null));
        return steps;
    }

    /// <summary>A connection's life along tcp_conntracks[]: handshake, data, a close from either side, cut short and disturbed at random.</summary>
    static List<Step> TcpSteps(SplitMix64 r)
    {
        var steps = new List<Step>();
        if (r.Next(6) == 0) steps.Add(new Step(false, "ack")); // mid-stream pickup (tcp_loose)
        else
        {
            steps.Add(new Step(false, "syn"));
            if (r.Next(6) == 0) steps.Add(new Step(false, "syn")); // retransmitted SYN
            steps.Add(new Step(true, "syn, ack"));
            steps.Add(new Step(false, "ack"));
        }
        int data = r.Next(3);
        for (int k = 0; k < data; k++) steps.Add(new Step(r.Next(2) == 0, r.Next(2) == 0 ? "ack" : "psh, ack"));
        bool clientCloses = r.Next(2) == 0;
        steps.Add(new Step(!clientCloses, "fin, ack"));
        steps.Add(new Step(clientCloses, "ack"));
        steps.Add(new Step(clientCloses, "fin, ack"));
        steps.Add(new Step(!clientCloses, "ack"));
        int keep = 1 + r.Next(steps.Count);
        steps.RemoveRange(keep, steps.Count - keep);
        if (r.Next(5) == 0) steps.Insert(1 + r.Next(steps.Count), new Step(r.Next(2) == 0, "rst"));
        if (steps.Count > 2 && r.Next(6) == 0) steps.RemoveAt(1 + r.Next(steps.Count - 1));
        return steps;
    }

    /// <summary>Instants in [0, span] kept apart from whole-second differences (see the class).</summary>
    sealed class InstantPool(SplitMix64 r, int span)
    {
        readonly List<int> _taken = [];

        public IReadOnlyList<int> Draw(int count)
        {
            var list = new List<int>();
            for (int k = 0; k < count; k++)
            {
                // Sometimes the same instant as an earlier packet: played back to back in both.
                if (_taken.Count > 0 && r.Next(10) == 0)
                {
                    list.Add(_taken[r.Next(_taken.Count)]);
                    continue;
                }
                if (Find(0, span) is { } t) list.Add(t);
                else if (_taken.Count > 0) list.Add(_taken[r.Next(_taken.Count)]);
                else list.Add(0);
            }
            list.Sort();
            return list;
        }

        /// <summary>An instant in [from, to]: drawn at random, else the first that fits (a narrow gap the draws missed), else none.</summary>
        public IEnumerable<int> DrawAfter(int from, int to)
        {
            if ((Find(from, to) ?? Scan(from, to)) is { } t) yield return t;
        }

        int? Scan(int from, int to)
        {
            for (int t = from; t <= to; t++)
                if (_taken.All(s => Fits(t, s)))
                {
                    _taken.Add(t);
                    return t;
                }
            return null;
        }

        int? Find(int from, int to)
        {
            for (int attempt = 0; attempt < 200; attempt++)
            {
                int t = from + r.Next(to - from + 1);
                if (_taken.All(s => Fits(t, s)))
                {
                    _taken.Add(t);
                    return t;
                }
            }
            return null;
        }

        static bool Fits(int t, int s)
        {
            int d = Math.Abs(t - s);
            if (d == 0) return true;
            int m = d % 1000;
            return d >= MarginMs && Math.Min(m, 1000 - m) >= MarginMs;
        }
    }
}

/// <summary>SplitMix64 (Steele, Lea, Flood 2014): a tiny generator whose sequence is fixed by its seed on every runtime.</summary>
public sealed class SplitMix64(ulong state)
{
    ulong _state = state;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) (n at most 2^31; the modulo bias is below 2^-32).</summary>
    public int Next(int n) => n <= 0 ? throw new ArgumentOutOfRangeException(nameof(n)) : (int)(NextUInt64() % (ulong)n);

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];
}
