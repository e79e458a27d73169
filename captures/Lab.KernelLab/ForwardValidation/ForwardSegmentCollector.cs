using System.Buffers.Binary;
using System.Globalization;
using Lab.Captures.Frames;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.ForwardValidation;

/// <summary>
/// Both links of a forward DUT during one trace: the harness's sockets on the client side (0) and
/// the server side (1), their addresses, and what the DUT sent out: per trace packet (by the index it
/// carries as the IPv4 identification) how often it came out and its first copy, and per flow the
/// source the kernel's NAT gave its first client packet (the kernel picks a moved port from a random
/// offset, get_random_u16 in nf_nat_l4proto_unique_tuple, so the server's replies are addressed to
/// what was seen). Shared by <see cref="ForwardKernelValidator"/> and the script player.
/// </summary>
internal sealed class ForwardSegmentCollector : IDisposable
{
    readonly ForwardTrace _trace;
    readonly TapPort[] _ports = new TapPort[2];
    readonly MacAddress[] _harnessMac, _dutMac;
    readonly int[] _count, _icmpErrors;
    readonly CapturedSegment?[] _first;
    readonly Dictionary<int, (WireAddress Address, ushort Port)> _translation = [];
    readonly byte[] _rx = new byte[2048];
    int _length;

    public ForwardSegmentCollector(IDeviceUnderTest dut, ForwardTrace trace)
    {
        _trace = trace;
        _harnessMac = [dut.HostIngressMac, dut.ReceiverMac];
        _dutMac = [dut.DutIngressMac, dut.DutEgressMac];
        _count = new int[trace.Packets.Count];
        _icmpErrors = new int[trace.Packets.Count];
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

    public MacAddress HarnessMac(int side) => _harnessMac[side];

    public MacAddress DutMac(int side) => _dutMac[side];

    public void Send(int side, ReadOnlySpan<byte> frame) => _ports[side].Send(frame);

    /// <summary>The source the server side saw on <paramref name="flow"/>'s latest translated client packet (else its first), once seen.</summary>
    public bool TryTranslation(int flow, out (WireAddress Address, ushort Port) translation) => _translation.TryGetValue(flow, out translation);

    public IReadOnlyList<ForwardPacketObservation> Observations =>
        [.. Enumerable.Range(0, _count.Length).Select(i => new ForwardPacketObservation(_count[i], _first[i]) { IcmpErrors = _icmpErrors[i] })];

    /// <summary>Waits up to <paramref name="wait"/> for one frame on <paramref name="side"/>; its length (the frame is <see cref="LastFrame"/>), or -1. Not yet captured.</summary>
    public int Receive(int side, TimeSpan wait)
    {
        int n = _ports[side].Receive(_rx, wait);
        _length = Math.Max(n, 0);
        return n;
    }

    public ReadOnlySpan<byte> LastFrame => _rx.AsSpan(0, _length);

    /// <summary>Receives one frame on <paramref name="side"/> within <paramref name="wait"/> and captures it.</summary>
    public void ReceiveOne(int side, TimeSpan wait)
    {
        if (Receive(side, wait) > 0) Capture(side, LastFrame);
    }

    /// <summary>Captures frames on <paramref name="side"/> until none came for <paramref name="quiet"/> (zero: until the queue is empty).</summary>
    public void Drain(int side, TimeSpan quiet)
    {
        while (Receive(side, quiet) >= 0) Capture(side, LastFrame);
    }

    /// <summary>Counts a frame the DUT sent out on <paramref name="side"/> against the trace packet it carries.</summary>
    public void Capture(int side, ReadOnlySpan<byte> f)
    {
        if (CapturedSegment.TryParseIcmpError(f, _harnessMac[side], out ushort quoted))
        {
            // An ICMP error back towards the side a trace packet came from (ip_error's net unreachable).
            if (quoted < _icmpErrors.Length && (int)_trace.Packets[quoted].Side == side) _icmpErrors[quoted]++;
            return;
        }
        if (!CapturedSegment.TryParse(f, _harnessMac[side], out var s)) return;
        int i = s.Identification;
        if (i >= _count.Length) return;
        var p = _trace.Packets[i];
        // A copy on the side the packet was sent from is not the DUT's output.
        if ((int)p.Side == side) return;
        _count[i]++;
        _first[i] ??= s;
        // The latest translated source, not the first: a flow whose entry was killed (a RST before any reply) and
        // re-created by a later packet has a new translation (fuzz-20261206-138). A packet that left untranslated
        // (invalid, untracked) does not replace it: the model addresses replies to its entry's translation too.
        if (p.Side == ForwardSide.Client
            && (!_translation.ContainsKey(p.Flow) || s.Source != p.Source || s.SourcePort != p.SourcePort))
            _translation[p.Flow] = (s.Source, s.SourcePort);
    }

    static readonly uint[] HarnessIp = [Ip(ForwardDutScripts.ClientNextHop), Ip(ForwardDutScripts.ServerNextHop)];
    static readonly uint[] DutIp = [Ip(ForwardDutScripts.DutIngress), Ip(ForwardDutScripts.DutEgress)];
    readonly byte[] _echo = new byte[128];

    /// <summary>
    /// An ICMP echo to the DUT on <paramref name="side"/>'s link; returns once its reply is back, capturing what else
    /// arrives meanwhile, then empties the other side's queue. The DUT (one CPU, in order) has handled everything sent
    /// on that link before the echo.
    /// </summary>
    public void Barrier(int side, ushort echoId, ushort sequence, TimeSpan timeout)
    {
        int n = EchoBarrierFrames.Write(_echo, _harnessMac[side], _dutMac[side], ForwardFrames.Address(HarnessIp[side]), ForwardFrames.Address(DutIp[side]), echoId, sequence, identification: 0);
        Send(side, _echo.AsSpan(0, n));
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            long left = deadline - Environment.TickCount64;
            int len = left <= 0 ? -1 : Receive(side, TimeSpan.FromMilliseconds(left));
            if (len < 0)
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"the DUT did not answer barrier echo {sequence} on the {(side == 0 ? "ingress" : "egress")} link within {timeout.TotalSeconds:0} s"));
            if (EchoBarrierFrames.IsReply(LastFrame, echoId, sequence)) break;
            Capture(side, LastFrame);
        }
        Drain(1 - side, TimeSpan.Zero);
    }

    static uint Ip(string a) => BinaryPrimitives.ReadUInt32BigEndian(System.Net.IPAddress.Parse(a).GetAddressBytes());

    public void Dispose()
    {
        _ports[0].Dispose();
        _ports[1].Dispose();
    }
}
