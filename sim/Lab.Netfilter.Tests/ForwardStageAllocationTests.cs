using Lab.Models;
using Lab.Netfilter.Stages;

namespace Lab.Netfilter.Tests;

/// <summary>
/// The script traffic kind added a branch to <see cref="ForwardStage.Process"/>; packets of the other
/// traffic kinds (flow ids through the address plan) must still allocate nothing once their flows exist.
/// </summary>
public sealed class ForwardStageAllocationTests
{
    [Theory]
    [InlineData(IpProto.Tcp, false)]
    [InlineData(IpProto.Udp, true)]
    public void Generated_packets_allocate_nothing_per_packet(IpProto proto, bool flowtable)
    {
        var ctx = new SimulationContext(1, 0);
        var stage = new ForwardStage("fw", new ForwardStageConfig
        {
            ConntrackMax = 4096,
            Buckets = 1024,
            Flowtable = flowtable,
            Addresses = new FlowAddressPlan { Proto = proto, Subscribers = 64 },
        }, ctx);
        const int flows = 512;
        var packet = new Packet { Size = 64 };
        long now = 0;
        void Send(int n)
        {
            for (int i = 0; i < n; i++)
            {
                packet.Flow = i % flows;
                packet.Flags = PacketFlags.None;
                now += 1_000_000; // 1 us
                stage.Process(ref packet, 0, now);
            }
        }
        Send(4 * flows); // every flow exists (and, with the flowtable, is offloaded)
        long before = GC.GetAllocatedBytesForCurrentThread();
        Send(100_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(flows, stage.Conntrack.Count);
    }
}
