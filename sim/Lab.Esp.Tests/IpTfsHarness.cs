using Lab.Engine;
using Lab.Esp.IpTfs;
using Lab.Models;
using Lab.Models.Path;
using Lab.Models.Traffic;
using Lab.Core;

namespace Lab.Esp.Tests;

/// <summary>What one outer packet carried, copied from the ledger when it left the sender.</summary>
public sealed record SentOuter(long Seq, long At, int FrameBytes, int BlockOffset, int PadBytes, IReadOnlyList<(long InnerSeq, int Offset, int Length, int InnerLength)> Blocks);

/// <summary>
/// A real IP-TFS SA in a simulation: list traffic -> iptfs_out -> (drop / swap outer packets by sequence
/// number) -> iptfs_in -> sink. The path between the two ends is test plumbing: it records every outer
/// packet as the sender's ledger describes it and can lose or hold back chosen sequence numbers.
/// </summary>
public sealed class IpTfsHarness : IPacketReceiver, IEventTarget
{
    readonly int _id;
    readonly HashSet<long> _drop = [];
    readonly Dictionary<long, long> _delay = [];

    public IpTfsHarness(IpTfsOutConfig sender, IpTfsInConfig? receiver = null)
    {
        Ctx = new SimulationContext(1, 0);
        _id = Ctx.Sim.Register(this);
        Sink = new Sink(Ctx);
        Sender = new IpTfsSender(Ctx, "iptfs_out", sender) { Next = this };
        Receiver = new IpTfsReceiver(Ctx, "iptfs_in", receiver ?? new IpTfsInConfig("iptfs_out", 3, SimTime.Second), Sender) { Next = Sink };
    }

    public SimulationContext Ctx { get; }
    public IpTfsSender Sender { get; }
    public IpTfsReceiver Receiver { get; }
    public Sink Sink { get; }
    public List<SentOuter> Sent { get; } = [];

    /// <summary>Inner packets (their generator sequence numbers) in delivery order, with their latency.</summary>
    public List<(long Seq, long Latency)> Delivered { get; } = [];

    public static IpTfsOutConfig Config(IpTfsSendMode mode, double rate = 0, int packetSize = 0, long initDelay = 0, long maxQueue = IpTfsOutConfig.DefaultMaxQueueBytes, bool dontFrag = false) =>
        new(mode, IpTfsGeometry.Ipv4Gcm(mode == IpTfsSendMode.CongestionControlled), packetSize, 1500, rate, initDelay, maxQueue, dontFrag, 10 * SimTime.Millisecond, SimTime.Millisecond);

    public void DropOuter(params long[] seqs)
    {
        foreach (var s in seqs) _drop.Add(s);
    }

    /// <summary>Holds outer packet <paramref name="seq"/> back for <paramref name="delay"/> (the others pass at once).</summary>
    public void DelayOuter(long seq, long delay) => _delay[seq] = delay;

    /// <summary>Inner frames (Ethernet sizes) at the given times; the generator sequence numbers run from 1.</summary>
    public void Traffic(params (long At, int FrameBytes)[] packets)
    {
        var list = new List<ListedPacket>();
        for (int i = 0; i < packets.Length; i++) list.Add(new ListedPacket(packets[i].At, packets[i].FrameBytes, 1, i + 1, 0));
        _ = new ListSource(Ctx, list, 0, new Recorder(this));
    }

    public void Run(long until) => Ctx.Run(0, until);

    public void Receive(int packet)
    {
        ref Packet p = ref Ctx.Packets[packet];
        if (Sender.Config.Mode != IpTfsSendMode.Tunnel)
        {
            ref var r = ref Sender.Ledger.Record(p.Seq);
            var blocks = new List<(long, int, int, int)>();
            for (int i = 0; i < r.SegCount; i++)
            {
                var seg = Sender.Ledger.Segment(r, i);
                blocks.Add((Ctx.Packets[seg.Inner].Seq, seg.Offset, seg.Length, seg.InnerLength));
            }
            Sent.Add(new SentOuter(p.Seq, Ctx.Sim.Now, p.Size, r.BlockOffset, r.PadBytes, blocks));
        }
        else Sent.Add(new SentOuter(Sent.Count + 1, Ctx.Sim.Now, p.Size, 0, 0, []));
        long seq = Sender.Config.Mode == IpTfsSendMode.Tunnel ? Sent.Count : p.Seq;
        if (_drop.Contains(seq))
        {
            Ctx.Packets.Free(packet);
            return;
        }
        if (_delay.TryGetValue(seq, out long d))
        {
            Ctx.Sim.ScheduleIn(d, _id, 0, packet);
            return;
        }
        Receiver.Receive(packet);
    }

    public void OnEvent(int kind, int arg, long data) => Receiver.Receive(arg);

    sealed class Recorder(IpTfsHarness h) : IPacketReceiver
    {
        public void Receive(int packet) => h.Sender.Receive(packet);
    }

    /// <summary>Replaces the sink: records delivery order and latency, then frees the packet.</summary>
    public void RecordDeliveries() => Receiver.Next = new DeliveryRecorder(this);

    sealed class DeliveryRecorder(IpTfsHarness h) : IPacketReceiver
    {
        public void Receive(int packet)
        {
            ref Packet p = ref h.Ctx.Packets[packet];
            h.Delivered.Add((p.Seq, h.Ctx.Sim.Now - p.CreatedAt));
            h.Ctx.Packets.Free(packet);
        }
    }
}
