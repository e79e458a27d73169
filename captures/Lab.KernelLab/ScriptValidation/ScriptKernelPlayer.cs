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
/// <param name="TakenNanoseconds">When the tools actually ran, since the script's zero (real time).</param>
public sealed record KernelProbe(long AtNanoseconds, long TakenNanoseconds, IReadOnlyList<ConntrackEntry> Entries, IReadOnlyDictionary<string, long> Stats);

/// <summary>The kernel's side of a timed script: per packet what came out of the DUT, and the probes.</summary>
/// <param name="LateNanoseconds">The largest delay of any packet or probe behind its instant (the scheduling error of the replay).</param>
public sealed record ScriptKernelRun(string Kernel, IReadOnlyList<ForwardPacketObservation> Packets, IReadOnlyList<KernelProbe> Probes,
    long LateNanoseconds, IReadOnlyList<string> Notes);

/// <summary>
/// Plays a scripted forward trace into a device under test in real time: packet i leaves at its
/// simulated instant (<see cref="ForwardTracePacket.AtNanoseconds"/>, one simulated second = one real
/// second, so conntrack's timeouts in whole seconds run as in the model), and at every probe instant
/// <c>conntrack -L</c> and <c>conntrack -S</c> run in the DUT. A probe at t runs before the packets at
/// t, as the model's probes do. Unlike <see cref="ForwardKernelValidator"/> there are no echo barriers
/// (they would add ICMP conntrack entries and move conntrack -S): between events both links are read,
/// and a packet leaves the veth or virtio queue long before the next event (the replay's lateness is
/// reported). Client packets go into the ingress link, server packets into the egress link; a reply of
/// a flow the kernel translated is addressed to the translation seen on the server side (the kernel
/// picks a moved port at random, nf_nat_l4proto_unique_tuple).
/// </summary>
public sealed class ScriptKernelPlayer
{
    readonly IDeviceUnderTest _dut;

    public ScriptKernelPlayer(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        _dut = dut;
        dut.Run(ForwardDutScripts.Network(dut));
        var (code, output) = dut.TryRun("nft list tables >/dev/null && conntrack -L >/dev/null 2>&1");
        if (code != 0) throw new ValidationHarnessException($"the DUT has no working nft or conntrack: {output.Trim()}");
    }

    /// <summary>Configures the DUT for <paramref name="trace"/> (ruleset without a flowtable, sysctls), then plays it with its probes.</summary>
    public ScriptKernelRun Run(ForwardTrace trace, IReadOnlyList<long> probeNanoseconds, TextWriter? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(probeNanoseconds);
        if (trace.Packets.Count > ushort.MaxValue + 1) throw new ArgumentException("a script carries at most 65536 packets (the index is the IPv4 identification)", nameof(trace));
        var notes = new List<string>();
        var (code, output) = _dut.TryRun(ForwardDutScripts.Configure(trace.Dut, ForwardDutScripts.Ruleset(_dut, trace.Dut, flowtable: false)));
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("unsettable ", StringComparison.Ordinal)) notes.Add($"net.netfilter.{line["unsettable ".Length..]} cannot be set in this DUT; the kernel's own value stayed");
            else if (line.StartsWith("missing ", StringComparison.Ordinal)) notes.Add($"net.netfilter.{line["missing ".Length..]} does not exist in this kernel");
        }
        if (code != 0) throw new ValidationHarnessException($"the DUT refused the forward ruleset or sysctls: {output.Trim()}");
        using var play = new Replay(_dut, trace);
        var probes = play.Run(probeNanoseconds, progress, cancellation);
        notes.AddRange(play.Notes);
        return new ScriptKernelRun(_dut.Description, play.Observations, probes, play.Late, notes);
    }

    /// <summary>What the probe's four tool runs take on an idle host (measured about 20 ms here); beyond it a probe counts as late.</summary>
    public const long ProbeToolsNanoseconds = 50_000_000;

    internal const string UdpMarker = "--- udp", StatsMarker = "--- stats";

    internal static string ProbeScript => $"conntrack -L -p tcp 2>/dev/null; echo '{UdpMarker}'; conntrack -L -p udp 2>/dev/null; echo '{StatsMarker}'; conntrack -S 2>/dev/null; echo nf_conntrack_count=$(conntrack -C)";

    sealed class Replay : IDisposable
    {
        readonly IDeviceUnderTest _dut;
        readonly ForwardTrace _trace;
        readonly TapPort[] _ports = new TapPort[2];
        readonly MacAddress[] _harnessMac, _dutMac;
        readonly int[] _count;
        readonly CapturedSegment?[] _first;
        readonly Dictionary<int, (uint Address, ushort Port)> _translation = [];
        readonly byte[] _frame = new byte[256];
        readonly byte[] _rx = new byte[2048];

        public Replay(IDeviceUnderTest dut, ForwardTrace trace)
        {
            _dut = dut;
            _trace = trace;
            _harnessMac = [dut.HostIngressMac, dut.ReceiverMac];
            _dutMac = [dut.DutIngressMac, dut.DutEgressMac];
            _count = new int[trace.Packets.Count];
            _first = new CapturedSegment?[trace.Packets.Count];
            _ports[0] = TapPort.Open(dut.InjectNamespace, dut.InjectInterface);
            try
            {
                _ports[1] = TapPort.Open(dut.CaptureNamespace, dut.CaptureInterface);
            }
            catch
            {
                _ports[0].Dispose();
                throw;
            }
        }

        public List<string> Notes { get; } = [];

        public long Late { get; private set; }

        public IReadOnlyList<ForwardPacketObservation> Observations =>
            [.. Enumerable.Range(0, _count.Length).Select(i => new ForwardPacketObservation(_count[i], _first[i]))];

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
                    Drain(0);
                    Drain(1);
                    probes.Add(TakeProbe(at, Nanoseconds(clock)));
                    // The tools read the table until they finish: a slow start (a busy host) is lateness too.
                    Late = Math.Max(Late, Nanoseconds(clock) - at - ProbeToolsNanoseconds);
                    ti++;
                    progress?.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {_trace.Check}: {at / 1e9:0.###} s, probe {ti}/{times.Count}   "));
                    continue;
                }
                var p = packets[pi];
                int side = (int)p.Side;
                (uint, ushort)? destination = null;
                bool natReply = p.Side == ForwardSide.Server && (p.Destination != p.OutAddress || p.DestinationPort != p.OutPort);
                if (natReply)
                {
                    Drain(1);
                    if (_translation.TryGetValue(p.Flow, out var t)) destination = t;
                    else untranslated++;
                }
                int n = ForwardFrames.Write(_frame, p, seqs[pi], _harnessMac[side], _dutMac[side], destination);
                _ports[side].Send(_frame.AsSpan(0, n));
                pi++;
            }
            WaitUntil(clock, Nanoseconds(clock) + 200_000_000);
            Drain(0);
            Drain(1);
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
                    var wait = TimeSpan.FromMilliseconds(Math.Min(50, (left - 1_000_000) / 1_000_000));
                    int n = _ports[1].Receive(_rx, wait);
                    if (n > 0) Capture(1, _rx.AsSpan(0, n));
                    Drain(0);
                }
                else Thread.SpinWait(50);
            }
        }

        KernelProbe TakeProbe(long at, long taken)
        {
            string text = _dut.Run(ProbeScript);
            int u = text.IndexOf(UdpMarker + "\n", StringComparison.Ordinal), s = text.IndexOf(StatsMarker + "\n", StringComparison.Ordinal);
            if (u < 0 || s < u) throw new FormatException($"probe output without its sections: {text}");
            var entries = ConntrackListing.Parse(text[..u]).Concat(ConntrackListing.Parse(text[(u + UdpMarker.Length + 1)..s])).ToList();
            var stats = ConntrackStatistics.Parse(text[(s + StatsMarker.Length + 1)..]);
            return new KernelProbe(at, taken, entries, stats);
        }

        void Drain(int side)
        {
            while (true)
            {
                int n = _ports[side].Receive(_rx, TimeSpan.Zero);
                if (n < 0) return;
                Capture(side, _rx.AsSpan(0, n));
            }
        }

        void Capture(int side, ReadOnlySpan<byte> f)
        {
            if (!CapturedSegment.TryParse(f, _harnessMac[side], out var s)) return;
            int i = s.Identification;
            if (i >= _count.Length) return;
            var p = _trace.Packets[i];
            if ((int)p.Side == side) return;
            _count[i]++;
            _first[i] ??= s;
            if (p.Side == ForwardSide.Client) _translation.TryAdd(p.Flow, (s.Source, s.SourcePort));
        }

        public void Dispose()
        {
            _ports[0].Dispose();
            _ports[1].Dispose();
        }
    }
}
