using System.Net;
using Lab.Captures.Tests.Support;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.TestSupport;
using Lab.Netfilter;
using Xunit.Abstractions;
using Lab.Core;

namespace Lab.Captures.Tests.KernelChecks;

/// <summary>
/// Masquerade port allocation, host kernel against <see cref="Lab.Netfilter.Nat.NatPortAllocator"/>
/// (issue 7, "NAT, host kernel"). Both run the same datagrams in the same order; where the kernel
/// keeps or reuses a port the model must name the same port, and where the kernel searches (from a
/// random offset: get_random_u16 in nf_nat_l4proto_unique_tuple) the model must also move the port,
/// into the same range.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class HostNatPortTests(HostNatFixture fixture, ITestOutputHelper output) : IClassFixture<HostNatFixture>
{
    const ushort Q1 = 7000, Q2 = 7001;

    enum Outcome
    {
        /// <summary>The original source port is kept.</summary>
        Kept,
        /// <summary>Another port, found by the range search.</summary>
        Moved,
        /// <summary>The port an earlier datagram from the same address and port got (find_appropriate_src).</summary>
        SameAsEarlier,
    }

    /// <summary>A datagram, what nf_nat_core.c makes of it, and the range a moved port must fall in.</summary>
    sealed record Case(NatStep Step, Outcome Expected, int Min = 1024, int Max = 65535, int Earlier = -1);

    // Worked out from get_unique_tuple / nf_nat_l4proto_unique_tuple (6.x). Client 0 = 10.0.1.2,
    // 1 = 10.0.1.3, 2 = 10.0.1.4; masquerade to 198.51.100.1, server 198.51.100.2.
    static readonly Case[] Cases =
    [
        // 0: nothing holds 198.51.100.1:40000 towards :7000 -> the original tuple is unique, kept.
        new(new NatSend(0, 40000, Q1), Outcome.Kept),
        // 1: a second subscriber, same port, same destination: the reply tuple is taken -> search 1024-65535.
        new(new NatSend(1, 40000, Q1), Outcome.Moved),
        // 2: a third subscriber, same port, other destination port: uniqueness is per full tuple -> kept.
        new(new NatSend(2, 40000, Q2), Outcome.Kept),
        // 3: subscriber 1 again from 40000, to the other port: its existing mapping is reused
        //    (find_appropriate_src, "if this srcip/proto/src-proto-part is currently mapped").
        new(new NatSend(1, 40000, Q2), Outcome.SameAsEarlier, Earlier: 1),
        // 4: a conntrack entry (no socket, no packet) holds 198.51.100.1:41000 towards :7000 ...
        new(new NatOccupy(41000, Q1), Outcome.Kept),
        // 5: ... so a datagram from 41000 to :7000 must move.
        new(new NatSend(0, 41000, Q1), Outcome.Moved),
        // 6-7: source ports 600-1023 stay in 600-1023 ("loose convention: >> 512 is credential passing").
        new(new NatSend(0, 700, Q1), Outcome.Kept),
        new(new NatSend(1, 700, Q1), Outcome.Moved, 600, 1023),
        // 8-9: source ports below 512 stay in 1-511.
        new(new NatSend(0, 100, Q1), Outcome.Kept),
        new(new NatSend(1, 100, Q1), Outcome.Moved, 1, 511),
    ];

    [HostNatFact]
    public void Masquerade_keeps_free_ports_and_moves_taken_ones_as_the_model_does()
    {
        var router = fixture.Get();
        var observed = NatPortCheck.Run(router, Cases.Select(c => c.Step));
        Assert.Equal(Cases.Count(c => c.Step is NatSend), observed.Count);

        var model = new MasqueradeModel(ModelInputs.VersionOf(HostNatRouter.KernelRelease), ModelInputs.Ip(HostNatRouter.RouterPublicAddress));
        uint server = ModelInputs.Ip(HostNatRouter.ServerAddress), routerPublic = ModelInputs.Ip(HostNatRouter.RouterPublicAddress);
        var kernelPorts = new int[Cases.Length];
        var modelPorts = new int[Cases.Length];
        int next = 0;
        long now = 0;
        for (int i = 0; i < Cases.Length; i++, now += SimTimeMs)
        {
            var c = Cases[i];
            if (c.Step is NatOccupy o)
            {
                model.Insert(new FlowTuple(routerPublic, server, o.PublicPort, o.ServerPort, IpProto.Udp), now);
                kernelPorts[i] = modelPorts[i] = o.PublicPort;
                continue;
            }
            var s = (NatSend)c.Step;
            var seen = observed[next++];
            Assert.Equal(s, seen.Step);
            Assert.Equal(IPAddress.Parse(HostNatRouter.RouterPublicAddress), seen.SeenByServer.Address);
            // the router's own record agrees with what arrived
            Assert.NotNull(seen.RouterEntry);
            Assert.Equal(seen.SeenByServer.Port, seen.RouterEntry.TranslatedSourcePort);
            kernelPorts[i] = seen.SeenByServer.Port;
            modelPorts[i] = model.Original(new FlowTuple(ModelInputs.Ip(seen.ClientAddress), server, s.SourcePort, s.ServerPort, IpProto.Udp), now);
        }

        for (int i = 0; i < Cases.Length; i++)
        {
            output.WriteLine($"{i}: {Cases[i].Step} kernel {kernelPorts[i]} model {modelPorts[i]}");
            if (Cases[i].Step is not NatSend s) continue;
            Check("kernel", kernelPorts, i, s);
            Check("model", modelPorts, i, s);
        }
    }

    const long SimTimeMs = Lab.Core.SimTime.Millisecond;

    static void Check(string who, int[] ports, int i, NatSend s)
    {
        var c = Cases[i];
        string what = $"{who}, case {i} ({s})";
        switch (c.Expected)
        {
            case Outcome.Kept:
                Assert.True(ports[i] == s.SourcePort, $"{what}: expected the source port {s.SourcePort} kept, got {ports[i]}");
                break;
            case Outcome.Moved:
                Assert.True(ports[i] != s.SourcePort, $"{what}: expected a port other than {s.SourcePort}");
                Assert.InRange(ports[i], c.Min, c.Max);
                break;
            case Outcome.SameAsEarlier:
                Assert.True(ports[i] == ports[c.Earlier], $"{what}: expected case {c.Earlier}'s port {ports[c.Earlier]} again, got {ports[i]}");
                Assert.NotEqual(s.SourcePort, ports[i]);
                break;
        }
    }
}
