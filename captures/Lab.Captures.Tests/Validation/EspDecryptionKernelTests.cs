using Lab.Captures.EspFrames;
using Lab.Captures.Tests.Vm;
using Lab.KernelLab.Validation;
using Lab.Esp;
using Lab.Esp.Replay;

namespace Lab.Captures.Tests.Validation;

/// <summary>
/// ESP frames built by the lab (real AES-GCM, RFC 4106) are decrypted by the Debian kernel:
/// tunnel and transport mode, IPv4 and IPv6, plain and UDP-encapsulated. Every packet's
/// index must come out of the DUT once, and the SA's own packet counter must count them all.
/// </summary>
[Collection(ValidationVmCollection.Name)]
public sealed class EspDecryptionKernelTests(ValidationVmFixture fixture)
{
    const int Packets = 40;

    public static TheoryData<EspMode, bool, bool, bool> Geometries()
    {
        var d = new TheoryData<EspMode, bool, bool, bool>();
        foreach (bool outer6 in new[] { false, true })
        {
            foreach (bool encap in new[] { false, true })
            {
                d.Add(EspMode.Tunnel, outer6, false, encap);
                d.Add(EspMode.Tunnel, outer6, true, encap);
                d.Add(EspMode.Transport, outer6, outer6, encap);
            }
        }
        return d;
    }

    [VmTheory]
    [MemberData(nameof(Geometries))]
    public void Kernel_decrypts_every_frame_the_lab_builds(EspMode mode, bool outerIpv6, bool innerIpv6, bool udp)
    {
        uint spi = 0x2000u + (mode == EspMode.Tunnel ? 0u : 0x10u) + (outerIpv6 ? 2u : 0u) + (innerIpv6 ? 4u : 0u) + (udp ? 1u : 0u);
        var sa = new EspValidationSa
        {
            Check = $"decrypt-{spi:x}",
            Spi = spi,
            Key = Convert.FromHexString("00112233445566778899aabbccddeeff01020304"),
            Mode = mode,
            OuterIpv6 = outerIpv6,
            InnerIpv6 = innerIpv6,
            UdpEncapsulation = udp,
            Replay = XfrmReplayMode.Esn,
            Window = 64,
        };
        // Sizes from the smallest indexed packet to a full 1400-byte one, so every padding length occurs.
        var packets = Enumerable.Range(0, Packets)
            .Select(i => new EspTracePacket((ulong)(spi * 1000 + i), (ulong)i + 1, i == Packets - 1 ? 1400 : 60 + i * 7, DropReason.None, i * 1000L))
            .ToList();
        var trace = new EspSaTrace(sa, packets, EspSaCounters.FromVerdicts(packets));

        var run = fixture.Run(new EspValidationPlan([trace]), sa.Check);

        var o = Assert.Single(run.Sas);
        Assert.Equal((0u, 0u, 0u), (o.State.ReplayWindow, o.State.Replay, o.State.IntegrityFailed));
        Assert.Equal((0L, 0L, 0L), (o.XfrmInStateSeqError, o.XfrmInStateProtoError, o.XfrmInNoStates));
        Assert.Equal((ulong)Packets, o.State.Packets);
        Assert.All(o.OutCount, n => Assert.Equal(1, n));
        Assert.Equal(mode == EspMode.Tunnel ? "tunnel" : "transport", o.State.Mode);
        Assert.True(EspComparison.Compare(run).AllAgree);
    }
}
