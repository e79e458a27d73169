using System.Globalization;
using Lab.Captures.AfPacket;
using Lab.Captures.EspFrames;
using Lab.Captures.Pcap;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.Validation;

/// <summary>What the kernel did with one SA's trace.</summary>
/// <param name="Trace">The SA and the packets sent to it.</param>
/// <param name="OutCount">Per packet of the trace (same order): how often its index came out of the DUT.</param>
/// <param name="State">The SA's line of `ip -s xfrm state` after the trace.</param>
/// <param name="XfrmInStateSeqError">/proc/net/xfrm_stat difference over this SA's injection.</param>
/// <param name="XfrmInStateProtoError">Likewise.</param>
/// <param name="XfrmInNoStates">Likewise (frames that found no SA: a harness or configuration fault).</param>
/// <param name="FramesSent">ESP frames injected for this SA.</param>
public sealed record EspSaObservation(EspSaTrace Trace, IReadOnlyList<int> OutCount, XfrmSaCounters State,
    long XfrmInStateSeqError, long XfrmInStateProtoError, long XfrmInNoStates, long FramesSent);

/// <summary>The kernel's side of a validation run.</summary>
public sealed record EspKernelRun(string Kernel, IReadOnlyList<EspSaObservation> Sas, long UnindexedFrames, TimeSpan Elapsed);

/// <summary>The harness could not give the kernel the frames intact (frames lost before ESP input): no verdict is possible.</summary>
public sealed class ValidationHarnessException : Exception
{
    public ValidationHarnessException() { }
    public ValidationHarnessException(string message) : base(message) { }
    public ValidationHarnessException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Runs validation plans against one device under test: configures its network once,
/// then per plan adds the SAs (ip xfrm state), injects each SA's frames from the plan's pcap
/// with barriers (<see cref="BarrierInjector"/>), reads /proc/net/xfrm_stat around each SA
/// (the MIB is per namespace, so reading around each SA attributes its changes to that SA),
/// captures the decrypted packets on the egress link by the index they carry, reads
/// `ip -s xfrm state`, and removes the SAs. It checks its own plumbing: every injected frame
/// must have reached the DUT's ingress interface, or the run fails with
/// <see cref="ValidationHarnessException"/> instead of reporting a disagreement.
/// </summary>
public sealed class EspKernelValidator
{
    const string ListenerName = "lab-espinudp";
    readonly IDeviceUnderTest _dut;

    /// <summary>Configures the DUT's addresses, routes, policies and the ESP-in-UDP sockets.</summary>
    public EspKernelValidator(IDeviceUnderTest dut)
    {
        ArgumentNullException.ThrowIfNull(dut);
        _dut = dut;
        dut.Run(DutScripts.Network(dut));
        var (code, output) = dut.TryRun(DutScripts.ProbeSa());
        if (code != 0)
        {
            EspUnavailableReason = $"the {dut.KernelRelease} kernel cannot add an rfc4106(gcm(aes)) ESP SA ({FirstLine(output)})";
            return;
        }
        (code, output) = dut.TryRun(DutScripts.Esp(dut));
        if (code != 0)
        {
            EspUnavailableReason = $"the {dut.KernelRelease} kernel refused the ESP policies or the nft dup rule ({FirstLine(output)})";
            return;
        }
        string ready = dut.StartBackground(ListenerName, EspInUdpListener.Executable(), TimeSpan.FromSeconds(30));
        if (ready != "ready")
            EspUnavailableReason = $"the ESP-in-UDP sockets could not be opened on port 4500 ({ready})";
    }

    /// <summary>Null when this kernel can run ESP checks, else why not (the checks are then skipped with it).</summary>
    public string? EspUnavailableReason { get; }

    public IDeviceUnderTest Dut => _dut;

    /// <summary>
    /// Injects the plan's frames (from <paramref name="pcapPath"/>, written by <see cref="EspTraceFrames.WritePcap"/>,
    /// after <paramref name="skipRecords"/> records of earlier plans) and observes.
    /// </summary>
    public EspKernelRun Run(EspValidationPlan plan, string pcapPath, long skipRecords = 0, TextWriter? progress = null, int barrierWindow = 32)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (EspUnavailableReason is not null) throw new InvalidOperationException(EspUnavailableReason);
        plan.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ulong maxIndex = 0;
        foreach (var p in plan.AllPackets) maxIndex = Math.Max(maxIndex, p.Index);
        if (maxIndex >= int.MaxValue) throw new ArgumentException("packet indices must stay below 2^31", nameof(plan));

        _dut.Run(DutScripts.AddStates(plan));
        var observed = new List<(EspSaTrace Trace, long SeqError, long ProtoError, long NoStates, long Frames)>();
        var counter = new IndexedFrameCounter((int)maxIndex + 1);
        try
        {
            using (var capture = counter.StartCapture(_dut.CaptureInterface, _dut.CaptureNamespace))
            using (var reader = PcapReader.Open(pcapPath))
            using (var injector = new BarrierInjector(_dut, barrierWindow))
            {
                for (long r = 0; r < skipRecords; r++)
                {
                    if (!reader.TryReadNext(out _)) throw new ArgumentException($"{pcapPath}: fewer than {skipRecords} records to skip", nameof(pcapPath));
                }
                var before = DutCounters.Read(_dut, states: false);
                for (int k = 0; k < plan.Traces.Count; k++)
                {
                    var trace = plan.Traces[k];
                    progress?.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {_dut.KernelRelease}: SA {k + 1}/{plan.Traces.Count} ({trace.Packets.Count} packets)   "));
                    long sentBefore = injector.FramesSent;
                    for (int i = 0; i < trace.Packets.Count; i++)
                    {
                        if (!reader.TryReadNext(out _)) throw new ArgumentException($"{pcapPath}: fewer frames than the plan has packets", nameof(pcapPath));
                        var info = EspFrameParser.Parse(reader.Data);
                        if (info.Spi != trace.Sa.Spi)
                            throw new ArgumentException($"{pcapPath}: frame {reader.RecordCount} is for SPI 0x{info.Spi:x8}, the plan expects SA 0x{trace.Sa.Spi:x8} there", nameof(pcapPath));
                        injector.Send(reader.Data);
                    }
                    injector.Barrier();
                    var after = DutCounters.Read(_dut, states: false);
                    long sent = injector.FramesSent - sentBefore;
                    long received = after.IngressRxPackets - before.IngressRxPackets;
                    if (received != sent || after.IngressRxDropped != before.IngressRxDropped)
                        throw new ValidationHarnessException(string.Create(CultureInfo.InvariantCulture,
                            $"{trace.Sa.Check}: {sent} frames injected, {_dut.IngressInterface} of the DUT received {received} and dropped {after.IngressRxDropped - before.IngressRxDropped}; the kernel did not see the whole trace"));
                    observed.Add((trace,
                        after.Stat.XfrmInStateSeqError - before.Stat.XfrmInStateSeqError,
                        after.Stat.XfrmInStateProtoError - before.Stat.XfrmInStateProtoError,
                        after.Stat.XfrmInNoStates - before.Stat.XfrmInNoStates,
                        trace.Packets.Count));
                    before = after;
                }
                // Decrypted tunnel packets are forwarded from the backlog after the barrier's reply: let them drain.
                capture.Stop(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20));
                if (capture.KernelDrops != 0) throw new ValidationHarnessException($"the capture socket on {_dut.CaptureInterface} dropped {capture.KernelDrops} frames");
            }
            var states = DutCounters.Read(_dut, states: true).States;
            var result = new List<EspSaObservation>();
            foreach (var (trace, seqError, protoError, noStates, frames) in observed)
            {
                var outCount = new int[trace.Packets.Count];
                for (int i = 0; i < outCount.Length; i++) outCount[i] = counter.CountOf(trace.Packets[i].Index);
                var state = states.Where(s => s.Spi == trace.Sa.Spi).ToList();
                if (state.Count != 1) throw new ValidationHarnessException($"{trace.Sa.Check}: ip -s xfrm state shows {state.Count} SAs with SPI 0x{trace.Sa.Spi:x8}");
                result.Add(new EspSaObservation(trace, outCount, state[0], seqError, protoError, noStates, frames));
            }
            progress?.Write("\r" + new string(' ', 60) + "\r");
            return new EspKernelRun(_dut.Description, result, counter.OtherFrames + counter.OutOfRangeIndices, clock.Elapsed);
        }
        finally
        {
            _dut.TryRun("ip xfrm state flush");
        }
    }

    static string FirstLine(string s)
    {
        var t = s.Trim();
        int nl = t.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? t : t[..nl];
    }
}
