using Lab.Models.Path;

namespace Lab.Models.Tests;

public class LossElementTests
{
    /// <summary>Records the sequence numbers that reach it, in order, and frees the packets.</summary>
    sealed class SeqRecorder(SimulationContext ctx) : IPacketReceiver
    {
        public List<long> Seqs { get; } = [];

        public void Receive(int packet)
        {
            Seqs.Add(ctx.Packets[packet].Seq);
            ctx.Packets.Free(packet);
        }
    }

    static (List<long> Passed, LossElement Loss) Feed(long every, long first, int packets)
    {
        var ctx = new SimulationContext(seed: 1, replication: 0);
        var recorder = new SeqRecorder(ctx);
        var loss = new LossElement(ctx, "hop", probability: 0, every: every, first: first) { Next = recorder };
        for (int seq = 1; seq <= packets; seq++)
        {
            int p = ctx.Packets.Allocate();
            ctx.Packets[p].Seq = seq;
            loss.Receive(p);
        }
        return (recorder.Seqs, loss);
    }

    [Fact]
    public void Every_third_from_the_second_drops_packets_2_5_and_8_of_10()
    {
        // Packets count from 1 (the scenario key says so); the pattern drops `first`, then every
        // `every`-th after it: 2, 2 + 3 = 5, 5 + 3 = 8 (11 > 10). 10 - 3 = 7 pass.
        var (passed, loss) = Feed(every: 3, first: 2, packets: 10);
        Assert.Equal([1L, 3, 4, 6, 7, 9, 10], passed);
        Assert.Equal(3, loss.Dropped);
        Assert.Equal(7, loss.Passed);
    }

    [Fact]
    public void The_first_packet_itself_can_be_the_first_drop()
    {
        // first = 1, every = 4: drops 1, 5, 9 of 10; the very first packet is the edge an off-by-one misses.
        var (passed, loss) = Feed(every: 4, first: 1, packets: 10);
        Assert.Equal([2L, 3, 4, 6, 7, 8, 10], passed);
        Assert.Equal(3, loss.Dropped);
    }
}
