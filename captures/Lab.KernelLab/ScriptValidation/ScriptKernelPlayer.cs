using System.Diagnostics;
using System.Globalization;
using Lab.Captures.Frames;
using Lab.KernelLab.ForwardValidation;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.ScriptValidation;

/// <summary>What the kernel's tools printed at one probe instant: <c>conntrack -L</c> (tcp and udp), <c>conntrack -S</c> and <c>conntrack -C</c> (as nf_conntrack_count: the namespace's entry count, expired entries the gc has not reaped yet included).</summary>
/// <param name="AtNanoseconds">The script's instant the probe stands for.</param>
/// <param name="TakenNanoseconds">When the tools' output was back, since the script's zero (real time): they read the tables at or before it.</param>
public sealed record KernelProbe(long AtNanoseconds, long TakenNanoseconds, IReadOnlyList<ConntrackEntry> Entries, IReadOnlyDictionary<string, long> Stats);

/// <summary>The kernel's side of a timed script: per packet what came out of the DUT, and the probes.</summary>
/// <param name="LateNanoseconds">The largest delay of any packet or probe behind its instant (the scheduling error of the replay).</param>
public sealed record ScriptKernelRun(string Kernel, IReadOnlyList<ForwardPacketObservation> Packets, IReadOnlyList<KernelProbe> Probes,
    long LateNanoseconds, IReadOnlyList<string> Notes)
{
    /// <summary>The skb:kfree_skb events between consecutive probes (and the end), with the packets sent in each; empty when not read.</summary>
    public IReadOnlyList<DropInterval> DropIntervals { get; init; } = [];

    /// <summary>Why the kernel's drop reasons were not read (not asked for, no tracefs), or null when they were.</summary>
    public string? DropReasonsUnavailable { get; init; } = "not asked for";

    /// <summary>
    /// The drop reason the harness's own namespaces record for each frame the DUT forwards to them, or null where their drops
    /// are not traced (the VM's tap side is outside the guest). On the host the client and server namespaces do not forward:
    /// after the capture socket has copied a frame (taps run first in __netif_receive_skb_core), their IPv4 input finds no
    /// route for the foreign destination and ip_error frees it with IP_INADDRERRORS (net/ipv4/route.c), in the same softirq.
    /// </summary>
    public string? HarnessDropReason { get; init; }

    /// <summary>
    /// The same for IPv6 frames: the harness namespaces have IPv6 off, so ip6_rcv_core frees each one with
    /// SKB_DROP_REASON_IPV6DISABLED (net/ipv6/ip6_input.c, 6.18) after the capture socket copied it; null where not traced.
    /// </summary>
    public string? HarnessDropReason6 { get; init; }

    /// <summary>Whether the ruleset had a flowtable (the trace asked for one and the kernel has it).</summary>
    public bool FlowtableUsed { get; init; }
}

/// <summary>
/// Plays a scripted forward trace into a device under test in real time: packet i leaves at its
/// simulated instant (<see cref="ForwardTracePacket.AtNanoseconds"/>, one simulated second = one real
/// second, so conntrack's timeouts in whole seconds run as in the model), and at every probe instant
/// <c>conntrack -L</c> and <c>conntrack -S</c> run in the DUT. A probe at t runs before the packets at
/// t, as the model's probes do. On the host there are no echo barriers (they would add ICMP conntrack
/// entries and move conntrack -S): between events both links are read, and a packet leaves the veth
/// queue long before the next event (the replay's lateness is reported). In the VM (TCG) a packet can
/// still sit in the virtio queue when a probe's command runs, so before each probe an echo barrier on
/// both links waits until the guest has handled everything sent; a raw-priority nft table marks the
/// echoes notrack, so they create no conntrack entry and move no conntrack -S counter
/// (nf_conntrack_in returns at once for an untracked skb). The guest also hands received packets up one
/// at a time (net.core.gro_normal_batch 1), as <see cref="ForwardKernelValidator"/> explains. Client packets go into the ingress link, server packets into the egress link; a reply of
/// a flow the kernel translated is addressed to the translation seen on the server side (the kernel
/// picks a moved port at random, nf_nat_l4proto_unique_tuple).
/// </summary>
public sealed class ScriptKernelPlayer
{
    readonly IDeviceUnderTest _dut;
    readonly bool _barriers;
    readonly List<string> _setupNotes = [];

    public ScriptKernelPlayer(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        _dut = dut;
        dut.Run(ForwardDutScripts.Network(dut));
        _barriers = dut is IGuestDevice;
        if (dut is IGuestDevice guest)
        {
            guest.RunGuestWide("echo 1 > /proc/sys/net/core/gro_normal_batch");
            _setupNotes.Add("the guest hands received packets up one at a time (net.core.gro_normal_batch 1 instead of 8), as the model handles them; before each probe an untracked echo barrier waits for the guest to handle what was sent");
        }
        var (code, output) = dut.TryRun("nft list tables >/dev/null && conntrack -L >/dev/null 2>&1");
        if (code != 0) throw new ValidationHarnessException($"the DUT has no working nft or conntrack: {output.Trim()}");
        (code, output) = dut.TryRun(ForwardDutScripts.ProbeFlowtable(dut));
        if (code != 0) FlowtableUnavailableReason = $"the {dut.KernelRelease} kernel refuses an nft flowtable ({output.Trim().Split('\n')[0]})";
    }

    /// <summary>Null when this kernel has the nftables flowtable, else why not.</summary>
    public string? FlowtableUnavailableReason { get; }

    /// <summary>nft table whose raw-priority chains keep the probes' echo barriers out of conntrack.</summary>
    const string BarrierTable = "table inet lab_barrier {\n chain pre { type filter hook prerouting priority raw; icmp type echo-request notrack; }\n chain out { type filter hook output priority raw; icmp type echo-reply notrack; }\n}";

    /// <summary>
    /// Configures the DUT for <paramref name="trace"/> (ruleset, with the flowtable when the trace asks for one, sysctls), then
    /// plays it with its probes. With <paramref name="dropReasons"/> the skb:kfree_skb events are read at every probe and at the end.
    /// </summary>
    /// <exception cref="ValidationHarnessException">The trace asks for a flowtable this kernel lacks, or the DUT refused the configuration.</exception>
    public ScriptKernelRun Run(ForwardTrace trace, IReadOnlyList<long> probeNanoseconds, TextWriter? progress = null, CancellationToken cancellation = default, bool dropReasons = false)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(probeNanoseconds);
        if (trace.Packets.Count > ushort.MaxValue + 1) throw new ArgumentException("a script carries at most 65536 packets (the index is the IPv4 identification)", nameof(trace));
        if (trace.Dut.Flowtable && FlowtableUnavailableReason is { } noFlowtable) throw new ValidationHarnessException(noFlowtable);
        var notes = new List<string>(_setupNotes);
        string barrier = _barriers ? $"nft delete table inet lab_barrier 2>/dev/null; nft -f - <<'LAB_BARRIER_END' || exit 1\n{BarrierTable}\nLAB_BARRIER_END\n" : "";
        var (code, output) = _dut.TryRun(barrier + ForwardDutScripts.Configure(trace.Dut, ForwardDutScripts.Ruleset(_dut, trace.Dut, trace.Dut.Flowtable)));
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("unsettable ", StringComparison.Ordinal)) notes.Add($"net.netfilter.{line["unsettable ".Length..]} cannot be set in this DUT; the kernel's own value stayed");
            else if (line.StartsWith("missing ", StringComparison.Ordinal)) notes.Add($"net.netfilter.{line["missing ".Length..]} does not exist in this kernel");
        }
        if (code != 0) throw new ValidationHarnessException($"the DUT refused the forward ruleset or sysctls: {output.Trim()}");
        KernelDropTrace? drops = null;
        string? unavailable = "not asked for";
        // On the host the frames are handled in this thread's softirq (see KernelDropTrace); the VM is the guest's own.
        if (dropReasons) drops = KernelDropTrace.Start(_dut, out unavailable, ipv6: trace.Packets.Any(p => p.Ipv6), thread: _barriers ? null : KernelDropTrace.CurrentThreadId());
        try
        {
            using var play = new Replay(_dut, trace, _barriers, drops);
            var probes = play.Run(probeNanoseconds, progress, cancellation);
            notes.AddRange(play.Notes);
            return new ScriptKernelRun(_dut.Description, play.Observations, probes, play.Late, notes)
            {
                DropIntervals = play.Intervals, DropReasonsUnavailable = unavailable, FlowtableUsed = trace.Dut.Flowtable,
                HarnessDropReason = _barriers ? null : "IP_INADDRERRORS",
                HarnessDropReason6 = _barriers || !trace.Packets.Any(p => p.Ipv6) ? null : "IPV6DISABLED",
            };
        }
        finally
        {
            drops?.Stop();
        }
    }

    internal const string UdpMarker = "--- udp", StatsMarker = "--- stats";

    /// <summary>conntrack -L lists one family (-f, IPv4 when not given: conntrack-tools' default): both are read.</summary>
    internal static string ProbeScript => $"conntrack -L -f ipv4 -p tcp 2>/dev/null; conntrack -L -f ipv6 -p tcp 2>/dev/null; echo '{UdpMarker}'; conntrack -L -f ipv4 -p udp 2>/dev/null; conntrack -L -f ipv6 -p udp 2>/dev/null; echo '{StatsMarker}'; conntrack -S 2>/dev/null; echo nf_conntrack_count=$(conntrack -C)";

    /// <summary>One script played into the DUT in real time, over the links' <see cref="ForwardSegmentCollector"/>.</summary>
    sealed class Replay : IDisposable
    {
        readonly IDeviceUnderTest _dut;
        readonly ForwardTrace _trace;
        readonly ForwardSegmentCollector _links;
        readonly bool _barriers;
        readonly KernelDropTrace? _drops;
        readonly byte[] _frame = new byte[256];
        readonly byte[] _marker = new byte[64];
        ushort _barrierSeq;
        int _intervalStart;

        public Replay(IDeviceUnderTest dut, ForwardTrace trace, bool barriers, KernelDropTrace? drops)
        {
            _dut = dut;
            _trace = trace;
            _barriers = barriers;
            _drops = drops;
            _links = new ForwardSegmentCollector(dut, trace);
        }

        public List<DropInterval> Intervals { get; } = [];

        public List<string> Notes { get; } = [];

        public long Late { get; private set; }

        public IReadOnlyList<ForwardPacketObservation> Observations => _links.Observations;

        public List<KernelProbe> Run(IReadOnlyList<long> probeTimes, TextWriter? progress, CancellationToken cancellation)
        {
            var packets = _trace.Packets;
            var seqs = ForwardFrames.Sequences(packets);
            var probes = new List<KernelProbe>();
            var times = probeTimes.Order().ToList();
            var clock = Stopwatch.StartNew();
            int pi = 0, ti = 0, untranslated = 0;
            while (pi < packets.Count || ti < times.Count)
            {
                cancellation.ThrowIfCancellationRequested();
                // A probe at t comes before the packets at t.
                bool probe = ti < times.Count && (pi >= packets.Count || times[ti] <= packets[pi].AtNanoseconds);
                long at = probe ? times[ti] : packets[pi].AtNanoseconds;
                WaitUntil(clock, at);
                long now = Nanoseconds(clock);
                Late = Math.Max(Late, now - at);
                if (probe)
                {
                    if (_barriers)
                    {
                        _links.Barrier(0, EchoId, ++_barrierSeq, BarrierTimeout);
                        _links.Barrier(1, EchoId, ++_barrierSeq, BarrierTimeout);
                    }
                    _links.Drain(0, TimeSpan.Zero);
                    _links.Drain(1, TimeSpan.Zero);
                    probes.Add(TakeProbe(at, clock, pi));
                    ti++;
                    progress?.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {_trace.Check}: {at / 1e9:0.###} s, probe {ti}/{times.Count}   "));
                    continue;
                }
                var p = packets[pi];
                int side = (int)p.Side;
                (WireAddress, ushort)? destination = null;
                bool natReply = p.Side == ForwardSide.Server && (p.Destination != p.OutAddress || p.DestinationPort != p.OutPort);
                if (natReply)
                {
                    _links.Drain(1, TimeSpan.Zero);
                    if (_links.TryTranslation(p.Flow, out var t)) destination = t;
                    else untranslated++;
                }
                int n = ForwardFrames.Write(_frame, p, seqs[pi], _links.HarnessMac(side), _links.DutMac(side), destination);
                _links.Send(side, _frame.AsSpan(0, n));
                // Its marker on the same link: the drop events before it are this packet's (DropMarkers).
                if (_drops is not null) _links.Send(side, _marker.AsSpan(0, DropMarkers.Write(_marker, side, _links.HarnessMac(side), _links.DutMac(side))));
                pi++;
            }
            WaitUntil(clock, Nanoseconds(clock) + 200_000_000);
            if (_barriers)
            {
                _links.Barrier(0, EchoId, ++_barrierSeq, BarrierTimeout);
                _links.Barrier(1, EchoId, ++_barrierSeq, BarrierTimeout);
            }
            _links.Drain(0, TimeSpan.Zero);
            _links.Drain(1, TimeSpan.Zero);
            if (_drops is not null) Intervals.Add(new DropInterval(_intervalStart, packets.Count, _drops.Read()));
            if (untranslated > 0)
                Notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{untranslated} replies of flows the kernel never forwarded went to the model's translated address and port"));
            progress?.Write("\r" + new string(' ', 60) + "\r");
            return probes;
        }

        static long Nanoseconds(Stopwatch clock) => (long)(clock.ElapsedTicks * (1e9 / Stopwatch.Frequency));

        /// <summary>Reads both links until <paramref name="at"/> (the last millisecond spun on the clock).</summary>
        void WaitUntil(Stopwatch clock, long at)
        {
            while (true)
            {
                long left = at - Nanoseconds(clock);
                if (left <= 0) return;
                if (left > 2_000_000)
                {
                    _links.ReceiveOne(1, TimeSpan.FromMilliseconds(Math.Min(50, (left - 1_000_000) / 1_000_000)));
                    _links.Drain(0, TimeSpan.Zero);
                }
                else Thread.SpinWait(50);
            }
        }

        const ushort EchoId = 0x4c53; // "LS"
        static readonly TimeSpan BarrierTimeout = TimeSpan.FromSeconds(60);
        const string DropsMarker = "--- kfree_skb";

        /// <summary>
        /// Runs the tools and stamps the probe with the instant their output was back: the latest at which they
        /// can have read the tables. In an emulated guest under load the tools start seconds after they were
        /// asked to (fuzz-20261206-19: both UDP entries 2 s short of the model's with the request stamped 72 ms
        /// late), so the instant they were asked for is no bound at all.
        /// </summary>
        KernelProbe TakeProbe(long at, Stopwatch clock, int sent)
        {
            string text = _dut.Run(ProbeScript + (_drops is null ? "" : $"; echo '{DropsMarker}'; {_drops.ReadScript}"));
            long taken = Nanoseconds(clock);
            if (_drops is not null)
            {
                int d = text.IndexOf(DropsMarker + "\n", StringComparison.Ordinal);
                if (d < 0) throw new FormatException($"probe output without its drop section: {text}");
                Intervals.Add(new DropInterval(_intervalStart, sent, KernelDropTrace.Parse(text[d..])));
                _intervalStart = sent;
                text = text[..d];
            }
            int u = text.IndexOf(UdpMarker + "\n", StringComparison.Ordinal), s = text.IndexOf(StatsMarker + "\n", StringComparison.Ordinal);
            if (u < 0 || s < u) throw new FormatException($"probe output without its sections: {text}");
            var entries = ConntrackListing.Parse(text[..u]).Concat(ConntrackListing.Parse(text[(u + UdpMarker.Length + 1)..s])).ToList();
            var stats = ConntrackStatistics.Parse(text[(s + StatsMarker.Length + 1)..]);
            return new KernelProbe(at, taken, entries, stats);
        }

        public void Dispose() => _links.Dispose();
    }
}
