namespace Lab.Models.Tests;

/// <summary>The end of a test path that remembers each packet's fields in arrival order, then frees it.</summary>
sealed class Recorder(SimulationContext ctx) : IPacketReceiver
{
    public List<(long At, long Seq, int Size, int InnerBytes, int Flow, PacketFlags Flags)> Seen { get; } = [];

    public void Receive(int packet)
    {
        ref Packet p = ref ctx.Packets[packet];
        Seen.Add((ctx.Sim.Now, p.Seq, p.Size, p.InnerBytes, p.Flow, p.Flags));
        ctx.Packets.Free(packet);
    }
}
