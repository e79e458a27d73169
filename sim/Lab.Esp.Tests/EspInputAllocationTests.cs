using Lab.Esp.Path;
using Lab.Esp.Replay;
using Lab.Models;

namespace Lab.Esp.Tests;

/// <summary>The script traffic kind added a branch to <see cref="EspInputStage.Process"/>; esp_out's packets must still allocate nothing.</summary>
public sealed class EspInputAllocationTests
{
    [Fact]
    public void Packets_from_esp_out_allocate_nothing_per_packet()
    {
        var ctx = new SimulationContext(1, 0);
        var stage = new EspInputStage("esp_in", new EspInConfig(XfrmReplayMode.Bmp, 128, 0, 0, false, 1, new EspCosts()), ctx);
        var packet = new Packet { Size = 200, InnerBytes = 182 };
        long seq = 0;
        void Send(int n)
        {
            for (int i = 0; i < n; i++)
            {
                packet.Seq = ++seq;
                packet.Tag = 0;
                Assert.False(stage.Process(ref packet, 0, seq).Dropped);
            }
        }
        Send(1000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Send(100_000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
