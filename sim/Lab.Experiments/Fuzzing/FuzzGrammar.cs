using System.Globalization;

namespace Lab.Experiments.Fuzzing;

/// <summary>What a kernel can be given beyond plain forwarding with conntrack and NAT.</summary>
/// <param name="Flowtable">An nftables flowtable (the VM's kernel; not the host's here).</param>
/// <param name="ConntrackMax">nf_conntrack_max settable in the DUT (read-only in a host namespace other than the initial one).</param>
/// <param name="Esp">ESP (xfrm) in the DUT's kernel: cases through esp_in are drawn too.</param>
/// <param name="ProbeQuietMs">Time a probe takes in this DUT: no packet or other probe is drawn that soon after a probe
/// (the replay would send it late, and a late packet can cross a timeout boundary the grammar keeps it from).</param>
public sealed record FuzzKernelCapabilities(bool Flowtable, bool ConntrackMax, bool Esp = false, int ProbeQuietMs = 0)
{
    /// <summary>The host's namespaces: no flowtable, no ESP, nf_conntrack_max read-only; a probe takes a few milliseconds.</summary>
    public static readonly FuzzKernelCapabilities Host = new(false, false);

    /// <summary>
    /// The Debian guest: flowtable and ESP; nf_conntrack_max is set from the guest's initial namespace (it is global).
    /// Under TCG a forward probe (two echo barriers, then conntrack -L, -S, -C and the drop trace in one command) lands
    /// 0.1-1 s after its instant (captures/VALIDATION.md, "Scripts in the VM"), so nothing is drawn within 1 s after one.
    /// </summary>
    public static readonly FuzzKernelCapabilities Vm = new(true, true, true, 1000);
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
/// Where the kernel has ESP, a third of the cases are ESP cases instead (<see cref="EspCase"/>).
/// <para>
/// Timing: the kernel plays in real time and its timeouts run in jiffies, so an event whose distance
/// from an earlier event is within <see cref="MarginMs"/> of a whole second (a timeout boundary, the
/// UDP 2 s rule) would make the verdict depend on scheduling. Instants are drawn so no two differ by
/// 1 s, 2 s, ... within that margin. Equal instants are allowed for packets on the same side (client packets
/// enter the ingress link, server packets the egress link): one link delivers in the order sent, in both. Packets
/// on opposite sides are kept apart, so at least <see cref="MarginMs"/> (every two distinct instants are): the
/// kernel has no defined order between two links. Frames sent back to back into two links are handled by
/// whichever softirq or virtio queue runs first (on the host the two veth backlogs can sit on two CPUs when the
/// sending thread migrates; in the guest the two virtio queues are polled in turn), while the model handles them
/// in the script's order; and a reply to a translated flow is addressed to the translation the harness has seen
/// on the server link, which the original packet sent a moment earlier may not show yet. Fuzz case 53 of seed
/// 20261206 had a reply and the next original packet of one UDP flow at the same instant.
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
    static readonly string[] Clients6 = ["2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3"];
    static readonly string[] Servers6 = ["2001:db8:2::1", "2001:db8:2::2"];
    static readonly ushort[] ServerPorts = [53, 80];
    static readonly string[] TimeoutKeys =
        ["udp", "udp_stream", "tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait", "tcp_close_wait", "tcp_last_ack", "tcp_time_wait", "tcp_close", "tcp_unack"];

    public static FuzzCase Generate(long seed, int index, string kernel, FuzzKernelCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(capabilities);
        var r = new SplitMix64(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index * 0xD1B54A32D192ED03UL + 1));
        // Asked only where the kernel has ESP, so the host's cases draw the same numbers as before ESP was added.
        if (capabilities.Esp && r.Next(3) == 0) return EspCase(r, string.Create(CultureInfo.InvariantCulture, $"fuzz-{seed}-{index}"), kernel);
        int span = 1000 + r.Next(2001);
        var times = new InstantPool(r, span);

        int flowCount = 1 + r.Next(4);
        // IPv6 (a quarter of the flows, issue 18 item 1) is drawn from a stream of its own, so that every other draw of
        // a case, and so every case found before IPv6 flows existed, stays what it was.
        var family = new SplitMix64(unchecked((ulong)seed * 0xBF58476D1CE4E5B9UL + (ulong)index * 0x94D049BB133111EBUL + 6));
        var flows = new List<FuzzFlow>();
        var packets = new List<FuzzPacket>();
        for (int f = 0; f < flowCount; f++)
        {
            string label = "f" + (f + 1).ToString(CultureInfo.InvariantCulture);
            string proto = r.Next(2) == 0 ? "udp" : "tcp";
            bool v6 = family.Next(4) == 0;
            flows.Add(new FuzzFlow(label, proto, r.Pick(v6 ? Clients6 : Clients), r.Pick(ClientPorts), r.Pick(v6 ? Servers6 : Servers), r.Pick(ServerPorts)));
            var steps = proto == "udp" ? UdpSteps(r) : TcpSteps(r);
            var at = times.Draw([.. steps.Select(s => s.Reply)]);
            bool started = false;
            for (int k = 0; k < steps.Count; k++)
            {
                int size = r.Next(8) == 0 ? 64 + r.Next(1400) : 64;
                // A step without an instant of its side is left out; a flow still starts in the original direction.
                if (at[k] is not { } t) continue;
                if (!started && steps[k].Reply)
                {
                    times.Release(t, true);
                    continue;
                }
                started = true;
                packets.Add(new FuzzPacket(t, label, steps[k].Reply, steps[k].Flags, size));
            }
        }
        // Stable: equal instants keep the flows' order.
        packets = [.. packets.Select((p, i) => (p, i)).OrderBy(x => x.p.AtMs).ThenBy(x => x.i).Select(x => x.p)];

        int last = packets.Max(p => p.AtMs);
        var probes = times.Draw(r.Next(4)).ToList();
        // The closing probe, 0.1-0.9 s after the last packet, where the instants leave room for it: with
        // many instants their 160 ms exclusion zones (mod 1 s) can cover every candidate.
        // Where probes are slow (the guest), few instants between packets leave a probe its quiet time, so the closing
        // probe, which needs none, may go up to 1.9 s after the last packet.
        probes.AddRange(times.DrawAfter(last + 100, last + (capabilities.ProbeQuietMs > 0 ? 1900 : 900)));
        probes = [.. probes.Distinct().Order()];
        if (capabilities.ProbeQuietMs > 0) probes = QuietProbes(probes, packets, capabilities.ProbeQuietMs);

        var timeouts = TimeoutKeys.Where(_ => r.Next(3) == 0).Select(k => new KeyValuePair<string, int>(k, 1 + r.Next(3))).ToList();
        bool? loose = r.Next(4) == 0 ? r.Next(2) == 0 : null;
        int? max = capabilities.ConntrackMax && r.Next(4) == 0 ? 1 + r.Next(4) : null;
        bool flowtable = capabilities.Flowtable && r.Next(3) == 0;
        return new FuzzCase(string.Create(CultureInfo.InvariantCulture, $"fuzz-{seed}-{index}"), kernel, flows, packets, Nat(r), timeouts, probes, loose, max, flowtable);
    }

    static readonly int[] LegacyWindows = [0, 1, 2, 8, 32];
    static readonly int[] BmpWindows = [33, 64, 100, 128, 1024];
    static readonly int[] EsnWindows = [1, 2, 32, 64, 128, 4096];

    /// <summary>
    /// An ESP case: one esp_in SA (SA k at SPI 0x1000 + k; one or two SAs) with a replay window of 0 (no check),
    /// legacy (up to 32), bmp (above 32) or ESN, a replay state that starts at 0 or just below a 32-bit wrap (with
    /// ESN the packets then cross into the next seq_hi), IPv4 or IPv6, tunnel or transport, ESP-in-UDP now and then;
    /// per SA 3 to 20 packets whose sequence numbers go in order, jump inside and beyond the window, come late
    /// inside and beyond it, repeat an earlier one, or are 0; sometimes a packet for an SPI with no SA. Packets are
    /// 2-40 ms apart (the anti-replay check has no timers: xfrm_replay_check/advance, net/xfrm/xfrm_replay.c),
    /// probes at random instants between them and one after the last.
    /// </summary>
    static FuzzCase EspCase(SplitMix64 r, string name, string kernel)
    {
        bool esn = r.Next(3) == 0;
        int window = esn ? r.Pick(EsnWindows) : r.Next(3) == 0 ? r.Pick(BmpWindows) : r.Pick(LegacyWindows);
        bool nearWrap = r.Next(4) == 0;
        uint initSeq = nearWrap ? uint.MaxValue - (uint)r.Next(40) : 0;
        uint initSeqHi = esn && r.Next(3) == 0 ? (uint)(1 + r.Next(3)) : 0;
        var esp = new FuzzEsp(window, esn, initSeq, initSeqHi, r.Next(2) == 0, r.Next(4) == 0, r.Next(5) == 0);
        string client = esp.Ipv6 ? "2001:db8::1" : "192.0.2.1", server = esp.Ipv6 ? "2001:db8::2" : "192.0.2.2";

        int sas = 1 + r.Next(2);
        var flows = new List<FuzzFlow>();
        var queues = new List<Queue<(string Flow, ulong Seq)>>();
        ulong max = esn ? (ulong)long.MaxValue : uint.MaxValue;
        for (int k = 0; k < sas; k++)
        {
            string label = "sa" + k.ToString(CultureInfo.InvariantCulture);
            flows.Add(new FuzzFlow(label, "esp", client, 0, server, 0, FuzzEsp.FirstSpi + (uint)k));
            queues.Add(new Queue<(string, ulong)>(EspSequence(r, ((ulong)initSeqHi << 32) | initSeq, window, max).Select(q => (label, q))));
        }
        if (r.Next(4) == 0)
        {
            // No SA has this SPI: XfrmInNoStates.
            flows.Add(new FuzzFlow("nosa", "esp", client, 0, server, 0, 0x2000));
            queues.Add(new Queue<(string, ulong)>(Enumerable.Range(1, 1 + r.Next(2)).Select(q => ("nosa", (ulong)q))));
        }

        // The SAs' packets interleaved at random, each SA's in its own order.
        var packets = new List<FuzzPacket>();
        int at = r.Next(20);
        var probes = new List<int>();
        while (queues.Any(q => q.Count > 0))
        {
            var live = queues.Where(q => q.Count > 0).ToList();
            var (flow, seq) = r.Pick(live).Dequeue();
            packets.Add(new FuzzPacket(at, flow, false, null, r.Next(8) == 0 ? 64 + r.Next(1400) : 64, seq));
            int step = 2 + r.Next(39);
            // A probe between two packets now and then: it sees every packet before it.
            if (r.Next(4) == 0) probes.Add(at + 1 + r.Next(step - 1));
            at += step;
        }
        probes.Add(at);
        return new FuzzCase(name, kernel, flows, packets, null, [], probes, Esp: esp);
    }

    /// <summary>3 to 20 sender sequence numbers around a receiver whose window ends at <paramref name="top"/>.</summary>
    static List<ulong> EspSequence(SplitMix64 r, ulong top, int window, ulong max)
    {
        var seqs = new List<ulong>();
        int count = 3 + r.Next(18);
        ulong w = (ulong)Math.Max(window, 1);
        for (int k = 0; k < count; k++)
        {
            ulong s;
            int op = r.Next(20);
            if (op < 8) s = top + 1;                                                       // in order
            else if (op < 11) s = top + 1 + (ulong)r.Next((int)Math.Min(w, 64));          // a jump inside the window
            else if (op < 13) s = top + w + 1 + (ulong)r.Next(40);                        // a jump beyond it (the bitmap restarts)
            else if (op < 16) s = top - Math.Min(top, (ulong)r.Next((int)Math.Min(w, 64)));  // late, inside the window (or the top again)
            else if (op < 18) s = top - Math.Min(top, w + (ulong)r.Next(10));              // late, beyond it
            else if (op < 19 && seqs.Count > 0) s = r.Pick(seqs);                           // a duplicate
            else s = 0;                                                                     // never valid (RFC 4303 3.3.3: the first is 1)
            s = Math.Min(s, max);
            seqs.Add(s);
            top = Math.Max(top, s);
        }
        return seqs;
    }

    /// <summary>
    /// The probes (in order) that nothing follows within <paramref name="quietMs"/>: a probe goes when a packet or a later
    /// kept probe is that close after it. Taken from the last, so the closing probe (after the last packet) stays.
    /// </summary>
    static List<int> QuietProbes(List<int> probes, List<FuzzPacket> packets, int quietMs)
    {
        var kept = new List<int>();
        for (int k = probes.Count - 1; k >= 0; k--)
        {
            int t = probes[k];
            if (packets.Any(p => p.AtMs >= t && p.AtMs < t + quietMs)) continue;
            if (kept.Count > 0 && kept[^1] < t + quietMs) continue;
            kept.Add(t);
        }
        kept.Reverse();
        return kept;
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

    /// <summary>Instants in [0, span] kept apart from whole-second differences, and equal only on one side (see the class).</summary>
    sealed class InstantPool(SplitMix64 r, int span)
    {
        readonly List<int> _taken = [];

        /// <summary>How many client and server packets each instant holds.</summary>
        readonly Dictionary<int, (int Client, int Server)> _sides = [];

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

        /// <summary>
        /// Instants for packets in order, <paramref name="replies"/>[k] saying whether packet k is the server's. An instant
        /// that already holds a packet of the other side is replaced by a fresh one between its neighbours, else by the
        /// previous packet's when that is on the same side, else none (null: the packet is left out).
        /// </summary>
        public IReadOnlyList<int?> Draw(IReadOnlyList<bool> replies)
        {
            var drawn = Draw(replies.Count);
            var list = new List<int?>(drawn.Count);
            for (int k = 0; k < drawn.Count; k++)
            {
                int? t = drawn[k];
                if (_sides.TryGetValue(drawn[k], out var there) && (replies[k] ? there.Client : there.Server) > 0)
                {
                    int lo = list.LastOrDefault(x => x is not null) ?? 0, hi = k + 1 < drawn.Count ? drawn[k + 1] : span;
                    t = lo < hi ? Fresh(lo, hi) : null;
                    int before = list.FindLastIndex(x => x is not null);
                    t ??= before >= 0 && replies[before] == replies[k] ? list[before] : null;
                }
                if (t is { } at)
                {
                    var n = _sides.GetValueOrDefault(at);
                    _sides[at] = replies[k] ? (n.Client, n.Server + 1) : (n.Client + 1, n.Server);
                }
                list.Add(t);
            }
            return list;
        }

        /// <summary>Gives back the instant of a packet drawn with <see cref="Draw(IReadOnlyList{bool})"/> and then left out: once it holds no packet, other draws may use it again.</summary>
        public void Release(int t, bool reply)
        {
            var n = _sides[t];
            n = reply ? (n.Client, n.Server - 1) : (n.Client - 1, n.Server);
            if (n.Client + n.Server > 0) _sides[t] = n;
            else
            {
                _sides.Remove(t);
                _taken.RemoveAll(x => x == t);
            }
        }

        /// <summary>An instant in [from, to]: drawn at random, else the first that fits (a narrow gap the draws missed), else none.</summary>
        public IEnumerable<int> DrawAfter(int from, int to)
        {
            if ((Find(from, to) ?? Scan(from, to)) is { } t) yield return t;
        }

        /// <summary>An instant in [from, to] that no packet or probe has yet, kept from the others as <see cref="Fits"/> says.</summary>
        int? Fresh(int from, int to)
        {
            for (int attempt = 0; attempt < 200; attempt++)
            {
                int t = from + r.Next(to - from + 1);
                if (_taken.All(s => s != t && Fits(t, s)))
                {
                    _taken.Add(t);
                    return t;
                }
            }
            for (int t = from; t <= to; t++)
                if (_taken.All(s => s != t && Fits(t, s)))
                {
                    _taken.Add(t);
                    return t;
                }
            return null;
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
