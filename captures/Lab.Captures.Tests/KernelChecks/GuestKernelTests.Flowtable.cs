using Lab.Captures.Tests.Vm;
using Lab.Core;
using Lab.KernelLab.TestSupport;
using Lab.KernelLab.Vm;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter;
using Xunit.Abstractions;

namespace Lab.Captures.Tests.KernelChecks;

/// <summary>
/// Netfilter on the qemu guest's kernel (Debian 6.1) against the lab's models, one boot for all.
/// This part: the flowtable fast path against <see cref="ForwardPath"/> and <see cref="FlowTable"/>
/// (issue 7, "Flowtable, vm kernel"). The model gets a TCP connection of the
/// same length: the handshake, the data segments and ACKs the router counted, and an orderly close.
/// </summary>
[Collection(KernelVmCollection.Name)]
public sealed partial class GuestKernelTests(GuestKernelFixture fixture, ITestOutputHelper output) : IClassFixture<GuestKernelFixture>
{
    static readonly FlowTuple Tuple = new(ModelInputs.Ip(FlowtableCheck.ClientAddress), ModelInputs.Ip(FlowtableCheck.ServerAddress), 40000, FlowtableCheck.ServerPort, IpProto.Tcp);

    /// <summary>What the model did with the connection.</summary>
    sealed record ModelRun(long ForwardChainPackets, long FastPathPackets, bool OffloadedMidway, TcpState FinalState, bool OffloadedAtEnd, long Fed);

    /// <summary>
    /// Runs one connection through the model: SYN, SYN/ACK, ACK; then the data segments (client to
    /// server) and ACKs (server to client) the kernel counted, interleaved evenly over the transfer's
    /// duration; then the close RFC 9293 describes: FIN from the client, its ACK, FIN from the server,
    /// the last ACK. The rule set is the guest's: one counting rule, then <c>flow add @ft</c> if enabled.
    /// </summary>
    static ModelRun RunModel(FlowtableObservation k)
    {
        var version = ModelInputs.VersionOf(k.KernelRelease);
        var ct = new ConntrackTable(new ConntrackConfig { Buckets = 1024, Max = 1024, Version = version });
        var ft = k.FlowAdd ? new FlowTable(new FlowtableConfig { Version = version, MaxFlows = 1024 }, ct) : null;
        var box = new ForwardPath(ct, ft, new ForwardingCosts(), new ForwardRules { LinearRules = 1, FlowAdd = k.FlowAdd });
        var reply = Tuple.Invert();
        long t = 0, step = SimTime.Millisecond;
        long fed = 0;
        void Send(in FlowTuple tuple, TcpFlags flags)
        {
            box.Process(tuple, flags, t);
            t += step;
            fed++;
        }

        Send(Tuple, TcpFlags.Syn);
        Send(reply, TcpFlags.SynAck);
        Send(Tuple, TcpFlags.Ack);
        long data = k.OriginalPackets - 4;   // minus SYN, the handshake ACK, FIN and the last ACK
        long acks = k.ReplyPackets - 3;      // minus SYN/ACK, the ACK of the FIN and the server's FIN
        step = Math.Max(1, SimTime.FromSeconds(Math.Max(k.TransferSeconds, 0.001)) / Math.Max(1, data + acks));
        bool midway = false;
        long acksSent = 0;
        for (long i = 0; i < data; i++)
        {
            Send(Tuple, TcpFlags.Ack);
            // as many server ACKs as the ratio the kernel saw, spread evenly
            while (acksSent < (i + 1) * acks / data) { Send(reply, TcpFlags.Ack); acksSent++; }
            if (i == data / 2) midway = ct.Entry(ct.Find(Tuple, t, out _)).Is(ConntrackStatus.Offload);
        }
        step = SimTime.Millisecond;
        Send(Tuple, TcpFlags.FinAck);
        Send(reply, TcpFlags.Ack);
        Send(reply, TcpFlags.FinAck);
        Send(Tuple, TcpFlags.Ack);
        int id = ct.Find(Tuple, t, out _);
        var e = ct.Entry(id);
        return new ModelRun(box.ForwardChainPackets, box.FastPathPackets, midway, e.TcpState, e.Is(ConntrackStatus.Offload), fed);
    }

    [VmFact]
    public void Long_transfer_leaves_the_forward_chain_counter_far_below_the_packets_sent_as_the_model_predicts()
    {
        var k = fixture.Offloaded;
        output.WriteLine(k.ToString());

        // The transfer happened, in wire-sized packets (gso_max_segs 1 worked).
        Assert.Equal(k.BytesSent, k.BytesReceived);
        Assert.True(k.OriginalPackets >= k.BytesSent / 1448, $"{k.OriginalPackets} client packets for {k.BytesSent} bytes: fewer than one per MSS");
        Assert.True(k.OriginalBytes <= 1500 * k.OriginalPackets, "client packets larger than the 1500-byte MTU: GSO packets were counted");

        var m = RunModel(k);
        output.WriteLine(m.ToString());
        Assert.Equal(k.PacketsForwarded, m.Fed);
        // The model, worked out: SYN, SYN/ACK and the ACK that made the entry ESTABLISHED+ASSURED go through
        // the forward chain (the third one adds the flow: nft_flow_offload_eval); before 6.14 the FIN tears
        // the flow down (nf_flow_state_check -> flow_offload_teardown), so the four closing packets do too.
        Assert.Equal(3 + 4, m.ForwardChainPackets);
        Assert.Equal(m.Fed - 7, m.FastPathPackets);

        // The kernel: the same handshake and close, with room for the close's own variations: the server's
        // FIN may carry the ACK of the client's FIN (one packet fewer), and a FIN or the last ACK may be
        // retransmitted (up to two more).
        Assert.InRange(k.ForwardChainPackets, m.ForwardChainPackets - 1, m.ForwardChainPackets + 2);
        // nft_flowtable.sh's own check, with a margin: the forward chain saw under 1 % of what was forwarded.
        Assert.True(k.ForwardChainPackets * 100 < k.PacketsForwarded, $"forward chain {k.ForwardChainPackets} of {k.PacketsForwarded} packets");
    }

    [VmFact]
    public void Conntrack_shows_the_offload_mark_while_the_transfer_runs_and_the_close_leaves_time_wait()
    {
        var k = fixture.Offloaded;
        var m = RunModel(k);

        Assert.True(k.Samples > 0, "no conntrack sample was taken while the transfer ran");
        Assert.True(k.OffloadSamples > 0, $"none of {k.Samples} conntrack samples showed [OFFLOAD]");
        Assert.NotNull(k.OffloadedEntry);
        // An offloaded entry has no running timeout and no state in the dump (ctnetlink skips both for IPS_OFFLOAD).
        Assert.Equal((true, (int?)null, (string?)null), (k.OffloadedEntry.Offload, k.OffloadedEntry.TimeoutSeconds, k.OffloadedEntry.State));
        Assert.True(m.OffloadedMidway, "model: the entry was not IPS_OFFLOAD halfway through the transfer");

        // After the close the flow is gone from the flowtable and conntrack ends in TIME_WAIT, in both.
        Assert.NotNull(k.FinalEntry);
        Assert.Equal(("TIME_WAIT", false), (k.FinalEntry.State, k.FinalEntry.Offload));
        Assert.Equal((TcpState.TimeWait, false), (m.FinalState, m.OffloadedAtEnd));
    }

    [VmFact]
    public void Without_a_flowtable_the_forward_chain_counts_every_packet_in_the_kernel_and_the_model()
    {
        // The control: it shows that the counters count what the first test assumes they count.
        var k = fixture.Classic;
        output.WriteLine(k.ToString());
        Assert.Equal(k.BytesSent, k.BytesReceived);
        Assert.Equal(0, k.OffloadSamples);
        Assert.Equal(k.PacketsForwarded, k.ForwardChainPackets);
        var m = RunModel(k);
        Assert.Equal(m.Fed, m.ForwardChainPackets);
        Assert.Equal(k.ForwardChainPackets, m.ForwardChainPackets);
    }
}
