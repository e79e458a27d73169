using System.Globalization;
using Lab.Captures.Frames;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.ForwardValidation;

/// <summary>What came out of the DUT for one trace packet: how often, the first copy, and whether it passed the forward chain (its DSCP mark).</summary>
public sealed record ForwardPacketObservation(int Count, CapturedSegment? First)
{
    /// <summary>ICMP errors the DUT sent back about this packet (an ICMP net unreachable from ip_error: the quoted header carries the packet's identification).</summary>
    public int IcmpErrors { get; init; }

    /// <summary>True when the packet came out marked by the forward chain, false when unmarked (flowtable fast path), null when it did not come out.</summary>
    public bool? Classic => First is { } f ? (f.Tos & 0xFC) == ForwardDutScripts.ClassicPathTos : null;
}

/// <summary>The kernel's side of one forward trace.</summary>
/// <param name="Kernel">The DUT's description.</param>
/// <param name="Trace">What was injected.</param>
/// <param name="Packets">Per trace packet (same order).</param>
/// <param name="ForwardChainPackets">The forward chain's first rule counter.</param>
/// <param name="Entries">conntrack -L -p tcp and -p udp after the trace.</param>
/// <param name="Stats">conntrack -S, summed over CPUs.</param>
/// <param name="FlowtableUsed">Whether the ruleset had a flowtable (the scenario asked for one and the kernel has it).</param>
/// <param name="ConntrackMax">nf_conntrack_max as the kernel had it.</param>
/// <param name="Notes">Sysctls the kernel refused or lacks, replies sent to the model's translation, and similar.</param>
/// <param name="Elapsed">Wall time of the injection.</param>
public sealed record ForwardKernelRun(string Kernel, ForwardTrace Trace, IReadOnlyList<ForwardPacketObservation> Packets, long ForwardChainPackets,
    IReadOnlyList<ConntrackEntry> Entries, IReadOnlyDictionary<string, long> Stats, bool FlowtableUsed, long ConntrackMax,
    IReadOnlyList<string> Notes, TimeSpan Elapsed);

/// <summary>
/// Runs forward traces against one device under test: configures its links once, then per trace
/// loads the ruleset and sysctls (<see cref="ForwardDutScripts"/>), empties conntrack, and plays the
/// trace in order: client packets into the ingress link, server packets into the egress link, each
/// carrying its index as the IPv4 identification. Every 32 frames, and whenever the side changes,
/// an ICMP echo to the DUT on the link just used is a barrier: its reply means the DUT (one CPU,
/// in order) has handled everything sent before it. What the DUT sends to either side is read
/// meanwhile: a client packet's copy on the server side carries the source the kernel's NAT chose,
/// which the server's replies of that flow are then addressed to (the kernel picks a moved port
/// from a random offset, get_random_u16 in nf_nat_l4proto_unique_tuple, so it cannot be known in
/// advance). Timing is not replayed: the order decides conntrack's and the flowtable's verdicts, and
/// the timeouts are long enough that nothing expires during the replay (the caller sees to that).
/// </summary>
public sealed class ForwardKernelValidator
{
    const ushort EchoId = 0x4c46; // "LF"
    const int Window = 32;
    static readonly TimeSpan BarrierTimeout = TimeSpan.FromSeconds(60);
    readonly IDeviceUnderTest _dut;
    readonly List<string> _setupNotes = [];

    public ForwardKernelValidator(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        _dut = dut;
        dut.Run(ForwardDutScripts.Network(dut));
        // virtio-net hands received packets up in lists of net.core.gro_normal_batch (8): the ingress hook
        // (the flowtable lookup) then runs for the whole list before the first packet reaches the forward
        // chain, so a packet batched with the one that adds its flow still takes the classic path. The model
        // handles one packet at a time; one packet per list is what it describes. The sysctl is global, so
        // it is set only in the guest (the host's veths deliver one packet at a time from the backlog).
        if (dut is IGuestDevice guest)
        {
            guest.RunGuestWide("echo 1 > /proc/sys/net/core/gro_normal_batch");
            _setupNotes.Add("the guest hands received packets up one at a time (net.core.gro_normal_batch 1 instead of 8), as the model handles them; see captures/VALIDATION.md");
        }
        var (code, output) = dut.TryRun("nft list tables >/dev/null && conntrack -L >/dev/null 2>&1");
        if (code != 0) throw new ValidationHarnessException($"the DUT has no working nft or conntrack: {output.Trim()}");
        (code, output) = dut.TryRun(ForwardDutScripts.ProbeFlowtable(dut));
        if (code != 0)
            FlowtableUnavailableReason = $"the {dut.KernelRelease} kernel refuses an nft flowtable ({FirstLine(output)})";
    }

    /// <summary>Null when this kernel has the nftables flowtable, else why not (flowtable checks are then skipped with it).</summary>
    public string? FlowtableUnavailableReason { get; }

    public IDeviceUnderTest Dut => _dut;

    public ForwardKernelRun Run(ForwardTrace trace, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (trace.Packets.Count > ushort.MaxValue + 1) throw new ArgumentException("a forward trace carries at most 65536 packets (the index is the IPv4 identification)", nameof(trace));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool flowtable = trace.Dut.Flowtable && FlowtableUnavailableReason is null;
        var notes = new List<string>(_setupNotes);
        var (code, output) = _dut.TryRun(ForwardDutScripts.Configure(trace.Dut, ForwardDutScripts.Ruleset(_dut, trace.Dut, flowtable)));
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("unsettable ", StringComparison.Ordinal)) notes.Add($"net.netfilter.{line["unsettable ".Length..]} cannot be set in this DUT; the kernel's own value stayed");
            else if (line.StartsWith("missing ", StringComparison.Ordinal)) notes.Add($"net.netfilter.{line["missing ".Length..]} does not exist in this kernel");
        }
        if (code != 0) throw new ValidationHarnessException($"the DUT refused the forward ruleset or sysctls: {output.Trim()}");

        var rxBefore = ReadRx();
        var play = new Replay(this, trace);
        using (play)
        {
            play.Run(progress);
        }
        notes.AddRange(play.Notes);
        string state = _dut.Run(ForwardDutScripts.ReadState(_dut));
        var rxAfter = ParseRx(ForwardDutScripts.Section(state, ForwardDutScripts.RxMarker));
        long inIn = rxAfter[0] - rxBefore[0], inOut = rxAfter[2] - rxBefore[2];
        if (inIn < play.Sent[0] || inOut < play.Sent[1] || rxAfter[1] != rxBefore[1] || rxAfter[3] != rxBefore[3])
            throw new ValidationHarnessException(string.Create(CultureInfo.InvariantCulture,
                $"{trace.Check}: {play.Sent[0]} + {play.Sent[1]} frames injected (client, server side), the DUT received {inIn} + {inOut} and dropped {rxAfter[1] - rxBefore[1]} + {rxAfter[3] - rxBefore[3]}; the kernel did not see the whole trace"));

        var counters = NftCounters.Parse(ForwardDutScripts.Section(state, ForwardDutScripts.ChainMarker));
        long chain = counters.TryGetValue(ForwardDutScripts.ChainCounter, out var c) ? c.Packets
            : throw new FormatException($"nft counter {ForwardDutScripts.ChainCounter} missing: {state}");
        var entries = ConntrackListing.Parse(ForwardDutScripts.Section(state, ForwardDutScripts.TcpMarker))
            .Concat(ConntrackListing.Parse(ForwardDutScripts.Section(state, ForwardDutScripts.UdpMarker))).ToList();
        var stats = ConntrackStatistics.Parse(ForwardDutScripts.Section(state, ForwardDutScripts.StatsMarker));
        long max = long.Parse(ForwardDutScripts.Section(state, ForwardDutScripts.MaxMarker).Trim(), CultureInfo.InvariantCulture);
        return new ForwardKernelRun(_dut.Description, trace, play.Observations, chain, entries, stats, flowtable, max, notes, clock.Elapsed);
    }

    long[] ReadRx() => ParseRx(_dut.Run(ForwardDutScripts.ReadRx(_dut)));

    static long[] ParseRx(string text)
    {
        var n = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (n.Length != 4) throw new FormatException($"expected 4 interface counters, found '{text.Trim()}'");
        return [.. n.Select(x => long.Parse(x, CultureInfo.InvariantCulture))];
    }

    static string FirstLine(string s)
    {
        var t = s.Trim();
        int nl = t.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? t : t[..nl];
    }

    /// <summary>One trace played into the DUT: the barriers, over the links' <see cref="ForwardSegmentCollector"/>.</summary>
    sealed class Replay : IDisposable
    {
        readonly ForwardTrace _trace;
        readonly ForwardSegmentCollector _links;
        readonly byte[] _frame = new byte[256];
        readonly int[] _pending = new int[2];
        ushort _barrierSeq;
        int _slowWaits;

        public Replay(ForwardKernelValidator v, ForwardTrace trace)
        {
            _trace = trace;
            _links = new ForwardSegmentCollector(v._dut, trace);
        }

        public long[] Sent { get; } = new long[2];

        public List<string> Notes { get; } = [];

        public IReadOnlyList<ForwardPacketObservation> Observations => _links.Observations;

        public void Run(TextWriter? progress)
        {
            var packets = _trace.Packets;
            var seqs = ForwardFrames.Sequences(packets);
            int? last = null;
            int redirectedToModel = 0;
            for (int i = 0; i < packets.Count; i++)
            {
                var p = packets[i];
                int side = (int)p.Side;
                if (last is int l && l != side) Barrier(l);
                (WireAddress, ushort)? destination = null;
                bool natReply = p.Side == ForwardSide.Server && (p.Destination != p.OutAddress || p.DestinationPort != p.OutPort);
                if (natReply)
                {
                    if (_links.TryTranslation(p.Flow, out var t) || WaitForTranslation(p.Flow, out t)) destination = t;
                    else redirectedToModel++;
                }
                int n = ForwardFrames.Write(_frame, p, seqs[i], _links.HarnessMac(side), _links.DutMac(side), destination);
                _links.Send(side, _frame.AsSpan(0, n));
                Sent[side]++;
                if (++_pending[side] >= Window) Barrier(side);
                last = side;
                if (progress is not null && (i & 255) == 255)
                    progress.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {_trace.Check}: {i + 1}/{packets.Count} packets   "));
            }
            Barrier(0);
            Barrier(1);
            _links.Drain(0, TimeSpan.FromMilliseconds(200));
            _links.Drain(1, TimeSpan.FromMilliseconds(200));
            if (redirectedToModel > 0)
                Notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{redirectedToModel} server packets of flows the kernel never forwarded went to the model's translated address and port"));
            progress?.Write("\r" + new string(' ', 60) + "\r");
        }

        /// <summary>Reads the server side until a client packet of <paramref name="flow"/> shows its translation (1 s at first, 50 ms after three misses).</summary>
        bool WaitForTranslation(int flow, out (WireAddress Address, ushort Port) translation)
        {
            var limit = _slowWaits < 3 ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(50);
            long deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds;
            while (!_links.TryTranslation(flow, out translation))
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    _slowWaits++;
                    return false;
                }
                _links.ReceiveOne(1, TimeSpan.FromMilliseconds(left));
            }
            return true;
        }

        /// <summary>An echo to the DUT on <paramref name="side"/>'s link (<see cref="ForwardSegmentCollector.Barrier"/>).</summary>
        void Barrier(int side)
        {
            _links.Barrier(side, EchoId, ++_barrierSeq, BarrierTimeout);
            Sent[side]++;
            _pending[side] = 0;
        }

        public void Dispose() => _links.Dispose();
    }
}
