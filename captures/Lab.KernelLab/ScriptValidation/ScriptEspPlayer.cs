using System.Diagnostics;
using System.Globalization;
using Lab.Captures.AfPacket;
using Lab.Captures.EspFrames;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.ScriptValidation;

/// <summary>One scripted ESP packet as the kernel receives it.</summary>
/// <param name="AtNanoseconds">The script's instant.</param>
/// <param name="Sa">The SA whose SPI and key build the frame: one of the configured SAs, or for an SPI the model has no SA for, an SA of that SPI that is never added (the kernel then finds no state).</param>
/// <param name="Sequence">The sender's sequence number (64 bits with ESN; the low half travels).</param>
/// <param name="InnerLength">The inner packet's length (the model's inner bytes).</param>
public sealed record ScriptEspPacket(long AtNanoseconds, EspValidationSa Sa, ulong Sequence, int InnerLength);

/// <summary>What <c>ip -s xfrm state</c> and /proc/net/xfrm_stat showed at one probe instant.</summary>
/// <param name="Stat">/proc/net/xfrm_stat minus its values before the first packet (the namespace's MIB counts since boot).</param>
/// <param name="Drops">The skb:kfree_skb events since the previous probe, in order (null when the kernel's drop reasons are not read).</param>
public sealed record KernelEspProbe(long AtNanoseconds, long TakenNanoseconds, IReadOnlyList<XfrmSaCounters> States,
    IReadOnlyDictionary<string, long> Stat, IReadOnlyList<KernelDrop>? Drops);

/// <summary>The kernel's side of an ESP script.</summary>
/// <param name="OutCount">Per script packet (same order): how often its index came out of the DUT decrypted.</param>
/// <param name="DropIntervals">The drop events between consecutive reads (every probe and the end), with the packets sent in each: [first, end).</param>
/// <param name="DropReasonsUnavailable">Why the kernel's drop reasons were not read, or null.</param>
public sealed record ScriptEspKernelRun(string Kernel, IReadOnlyList<int> OutCount, IReadOnlyList<KernelEspProbe> Probes,
    IReadOnlyList<DropInterval> DropIntervals, string? DropReasonsUnavailable, long LateNanoseconds, IReadOnlyList<string> Notes);

/// <summary>The packets [<paramref name="First"/>, <paramref name="End"/>) of a script and the drops the kernel recorded while it handled them.</summary>
public sealed record DropInterval(int First, int End, IReadOnlyList<KernelDrop> Drops);

/// <summary>
/// Plays an ESP script (issue 18, item 4) into a device under test that has ESP (the VM): adds the SAs, sends packet i
/// at its instant (one simulated second = one real second, as far as the DUT keeps up), and at every probe instant
/// first waits on an echo barrier (<see cref="BarrierInjector"/>: the DUT handles its queue in order on one CPU, so the
/// reply means every packet before the probe went through xfrm_input), then reads <c>ip -s xfrm state</c>,
/// /proc/net/xfrm_stat and the drop events in one command. Under emulation (TCG) a command takes 0.1-0.5 s, so the
/// replay falls behind the script's milliseconds; anti-replay verdicts and state depend on the order of the sequence
/// numbers only (xfrm_replay_check/advance, net/xfrm/xfrm_replay.c: no timers), so lateness does not change them, and
/// the barrier keeps "a probe at t sees every packet before t and none at t". Decrypted packets are counted on the
/// egress link by the index in their payload (<see cref="EspTraceFrames"/>).
/// </summary>
public sealed class ScriptEspPlayer
{
    readonly EspKernelValidator _esp;
    readonly IDeviceUnderTest _dut;

    /// <summary>Configures the DUT's addresses, policies and ESP-in-UDP sockets (<see cref="EspKernelValidator"/>).</summary>
    public ScriptEspPlayer(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        _dut = dut;
        _esp = new EspKernelValidator(dut);
    }

    /// <summary>Null when this kernel has ESP, else why not.</summary>
    public string? EspUnavailableReason => _esp.EspUnavailableReason;

    public ScriptEspKernelRun Run(IReadOnlyList<EspValidationSa> sas, IReadOnlyList<ScriptEspPacket> packets, IReadOnlyList<long> probeNanoseconds,
        bool dropReasons, TextWriter? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(sas);
        ArgumentNullException.ThrowIfNull(packets);
        ArgumentNullException.ThrowIfNull(probeNanoseconds);
        if (EspUnavailableReason is { } why) throw new InvalidOperationException(why);
        var plan = new EspValidationPlan([.. sas.Select(s => new EspSaTrace(s, [], default))]);
        plan.Validate();
        var notes = new List<string>();
        _dut.Run(DutScripts.AddStates(plan));
        KernelDropTrace? drops = null;
        string? unavailable = null;
        try
        {
            if (dropReasons) drops = KernelDropTrace.Start(_dut, out unavailable);
            var counter = new IndexedFrameCounter(packets.Count);
            var probes = new List<KernelEspProbe>();
            var intervals = new List<DropInterval>();
            long late = 0;
            var builders = new Dictionary<uint, EspFrameBuilder>();
            try
            {
                using var capture = counter.StartCapture(_dut.CaptureInterface, _dut.CaptureNamespace);
                using var injector = new BarrierInjector(_dut, window: 32);
                var baseline = DutCounters.Read(_dut, states: false).Stat;
                drops?.Read();
                var frame = new byte[2048];
                var marker = new byte[64];
                var times = probeNanoseconds.Order().ToList();
                var clock = Stopwatch.StartNew();
                int pi = 0, ti = 0, intervalStart = 0;
                while (pi < packets.Count || ti < times.Count)
                {
                    cancellation.ThrowIfCancellationRequested();
                    bool probe = ti < times.Count && (pi >= packets.Count || times[ti] <= packets[pi].AtNanoseconds);
                    long at = probe ? times[ti] : packets[pi].AtNanoseconds;
                    WaitUntil(clock, at, cancellation);
                    late = Math.Max(late, Nanoseconds(clock) - at);
                    if (probe)
                    {
                        injector.Barrier();
                        long taken = Nanoseconds(clock);
                        var (states, stat, events) = Read(drops, baseline);
                        probes.Add(new KernelEspProbe(at, taken, states, stat, events));
                        if (events is not null) intervals.Add(new DropInterval(intervalStart, pi, events));
                        intervalStart = pi;
                        ti++;
                        progress?.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {at / 1e9:0.######} s, probe {ti}/{times.Count}   "));
                        continue;
                    }
                    var p = packets[pi];
                    if (!builders.TryGetValue(p.Sa.Spi, out var builder))
                        builders[p.Sa.Spi] = builder = new EspFrameBuilder(p.Sa.ForFrames(EspTraceFrames.SenderMac, EspTraceFrames.DutMac));
                    var packet = new EspTracePacket((ulong)pi, p.Sequence, p.InnerLength, Lab.Esp.DropReason.None, p.AtNanoseconds);
                    int n = EspTraceFrames.Build(builder, p.Sa, packet, frame, out bool clamped);
                    if (clamped) notes.Add(string.Create(CultureInfo.InvariantCulture, $"packet {pi}: inner length {p.InnerLength} sent as {EspTraceFrames.InnerLengthFor(p.Sa, p.InnerLength)} (it must carry its index)"));
                    injector.Send(frame.AsSpan(0, n));
                    // Its marker: the drop events before it are this packet's (DropMarkers).
                    if (drops is not null) injector.Send(marker.AsSpan(0, DropMarkers.Write(marker, 0, EspTraceFrames.SenderMac, EspTraceFrames.DutMac)));
                    // The injector queues for sendmmsg: the barrier sends the packet at its instant and waits until the DUT took it.
                    injector.Barrier();
                    pi++;
                }
                injector.Barrier();
                if (drops is not null) intervals.Add(new DropInterval(intervalStart, packets.Count, drops.Read()));
                capture.Stop(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20));
                if (capture.KernelDrops != 0) throw new ValidationHarnessException($"the capture socket on {_dut.CaptureInterface} dropped {capture.KernelDrops} frames");
            }
            finally
            {
                foreach (var b in builders.Values) b.Dispose();
            }
            progress?.Write("\r" + new string(' ', 60) + "\r");
            var outCount = Enumerable.Range(0, packets.Count).Select(i => counter.CountOf((ulong)i)).ToList();
            return new ScriptEspKernelRun(_dut.Description, outCount, probes, intervals, unavailable ?? (dropReasons ? null : "not asked for"), late, notes);
        }
        finally
        {
            drops?.Stop();
            _dut.TryRun("ip xfrm state flush");
        }
    }

    (IReadOnlyList<XfrmSaCounters> States, IReadOnlyDictionary<string, long> Stat, IReadOnlyList<KernelDrop>? Drops) Read(KernelDropTrace? drops, XfrmStat baseline)
    {
        string text = _dut.Run(DutScripts.ReadCounters(_dut, states: true) + (drops is null ? "" : $"; echo '{DropsMarker}'; {drops.ReadScript}"));
        int d = text.IndexOf(DropsMarker, StringComparison.Ordinal);
        var counters = DutCounters.Parse(d < 0 ? text : text[..d]);
        var stat = counters.Stat.Entries.ToDictionary(e => e.Key, e => e.Value - baseline[e.Key], StringComparer.Ordinal);
        return (counters.States, stat, d < 0 ? null : KernelDropTrace.Parse(text[d..]));
    }

    const string DropsMarker = "--- kfree_skb";

    static long Nanoseconds(Stopwatch clock) => (long)(clock.ElapsedTicks * (1e9 / Stopwatch.Frequency));

    static void WaitUntil(Stopwatch clock, long at, CancellationToken cancellation)
    {
        long left = at - Nanoseconds(clock);
        if (left > 1_000_000) cancellation.WaitHandle.WaitOne(TimeSpan.FromTicks((left - 500_000) / 100));
        while (Nanoseconds(clock) < at) Thread.SpinWait(50);
    }
}
