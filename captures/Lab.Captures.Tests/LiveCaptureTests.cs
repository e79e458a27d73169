using System.Buffers.Binary;
using System.Globalization;
using Lab.Captures.AfPacket;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;
using Lab.Captures.Replay;
using Lab.Captures.Tests.Support;
using Lab.Core;
using Lab.KernelLab.Netns;
using PacketDotNet;

namespace Lab.Captures.Tests;

/// <summary>
/// Captures that tcpdump and dumpcap write live, inside namespaces the test creates, of frames
/// the lab sends: Linux cooked SLL and SLL2 from <c>tcpdump -i any</c>, pcapng from dumpcap and
/// from editcap, read back and replayed with <c>lab replay</c>'s runner into a namespace where
/// every frame is counted.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class LiveCaptureTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    const int N = 100;

    internal static void Send(string netns, string iface, IEnumerable<byte[]> frames)
    {
        using var socket = AfPacketSocket.Open(iface, netns, new AfPacketOptions { QdiscBypass = true });
        using var sender = new AfPacketSender(socket, 16);
        foreach (var f in frames)
        {
            if (!sender.TryAdd(f))
            {
                sender.Flush();
                sender.TryAdd(f);
            }
        }
        sender.Flush();
        Assert.Equal(0, sender.Failed);
    }

    static IEnumerable<byte[]> Indexed(int count) => Enumerable.Range(0, count).Select(i => TestFrames.Indexed((ulong)i));

    /// <summary>Captures <see cref="N"/> indexed frames sent from veth0 with a tool run in the receiver's namespace.</summary>
    static string CaptureIndexed(string sender, string receiver, string program, params string[] args)
    {
        using var cap = new LiveCapture(receiver, program, args);
        Send(sender, "veth0", Indexed(N));
        cap.Stop(LiveCapture.Settle);
        return cap.StandardError;
    }

    /// <summary>Replays a capture from veth0 and returns how often each index arrived on veth1, and the report.</summary>
    static (IndexedFrameCounter Counter, string Report) Replay(string path, string sender, string receiver)
    {
        var counter = new IndexedFrameCounter(N);
        var output = new StringWriter();
        using (var capture = counter.StartCapture("veth1", receiver))
        {
            int rc = ReplayRunner.Run(new ReplayOptions
            {
                PcapPath = path, Interface = "veth0", Namespace = sender, Timing = ReplayTiming.Parse("pps:20000"),
                // The report names options through the front end's wording; the CLI's is "--NAME".
                Words = new Wording(n => $"<{n}>", c => c),
            }, output, null, CancellationToken.None);
            capture.Stop(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10));
            Assert.Equal(0, rc);
            Assert.Equal(0u, capture.KernelDrops);
        }
        return (counter, output.ToString());
    }

    static void AssertEveryIndexOnce(IndexedFrameCounter counter)
    {
        Assert.Equal(N, counter.IndexedFrames);
        for (ulong i = 0; i < N; i++) Assert.Equal(1, counter.CountOf(i));
    }

    /// <summary>The packet index of a record: by the lab's dissector, and by PacketDotNet's as a cross-check.</summary>
    static ulong IndexOf(PcapLinkType type, ReadOnlySpan<byte> data)
    {
        var l = FrameDissector.Dissect(type, data);
        Assert.Equal((4, IpProtocol.Udp), (l.IpVersion, l.Protocol));
        Assert.True(PacketIndex.TryRead(data[(l.TransportOffset + PacketHeaders.UdpLength)..], out ulong index));
        var udp = Packet.ParsePacket((LinkLayers)(int)type, data.ToArray()).Extract<UdpPacket>();
        Assert.True(PacketIndex.TryRead(udp.PayloadData, out ulong theirs));
        Assert.Equal(index, theirs);
        return index;
    }

    [ToolTheory("tcpdump", "tcpdump", needsNetns: true)]
    [InlineData(false)]
    [InlineData(true)]
    public void Tcpdump_any_writes_cooked_captures_that_are_read_and_replayed(bool sllVersion1)
    {
        var (topology, a, b) = VethPairRig.Create();
        using (topology)
        {
            string file = _dir.File(sllVersion1 ? "sll.pcap" : "sll2.pcap");
            // libpcap 1.10 gives "any" SLL2 by default; -y LINUX_SLL asks for the older header.
            string[] link = sllVersion1 ? ["-y", "LINUX_SLL"] : [];
            string log = CaptureIndexed(a, b, "tcpdump", ["-i", "any", "-U", "-n", .. link, "--time-stamp-precision", "nano", "-w", file, "udp"]);
            var expectedType = sllVersion1 ? PcapLinkType.LinuxSll : PcapLinkType.LinuxSll2;
            using (var r = PcapReader.Open(file))
            {
                Assert.Equal(expectedType, r.LinkType);
                ulong next = 0;
                while (r.TryReadNext(out var rec))
                {
                    Assert.Equal(expectedType, rec.LinkType);
                    Assert.Equal(next++, IndexOf(rec.LinkType, r.Data));
                    // The cooked header keeps the sender's MAC address.
                    Assert.True(LinkLayer.TryGetCookedSource(rec.LinkType, r.Data, out var src));
                    Assert.Equal(TestFrames.SenderMac, MacAddress.Read(src));
                    // Wire size: the 60-byte frame the lab sent (14 + 20 + 8 + 18).
                    Assert.Equal(60, LinkLayer.EthernetEquivalentLength(FrameDissector.Dissect(rec.LinkType, r.Data), rec.OriginalLength));
                }
                Assert.True((ulong)N == next, log);
            }
            var (counter, report) = Replay(file, a, b);
            AssertEveryIndexOnce(counter);
            string name = sllVersion1 ? "113 (Linux cooked SLL)" : "276 (Linux cooked SLL2)";
            Assert.Contains($"link:       {name}: Ethernet header synthesised for {N} frames, destination ff:ff:ff:ff:ff:ff (broadcast; <dst-mac> to change)", report);
            Assert.Contains($"packets:    {N} sent, 0 failed", report);
        }
    }

    [ToolFact("dumpcap", "wireshark-common", needsNetns: true)]
    public void Dumpcap_and_editcap_pcapng_of_a_live_capture_are_replayed()
    {
        var (topology, a, b) = VethPairRig.Create();
        using (topology)
        {
            string dumpcapFile = _dir.File("dumpcap.pcapng");
            CaptureIndexed(a, b, "dumpcap", "-i", "veth1", "-f", "udp", "-w", dumpcapFile);
            string tcpdumpFile = _dir.File("tcpdump.pcap");
            CaptureIndexed(a, b, "tcpdump", "-i", "veth1", "-U", "-n", "-w", tcpdumpFile, "udp");
            string converted = _dir.File("tcpdump.pcapng");
            var e = CommandRunner.Run("editcap", ["-F", "pcapng", tcpdumpFile, converted]);
            Assert.True(e.Succeeded, e.StandardError);
            // dumpcap ends its file with an Interface Statistics Block when stopped: the reader skips it.
            Assert.Contains(PcapNgFormat.InterfaceStatisticsBlock, BlockTypes(dumpcapFile));
            foreach (string file in new[] { dumpcapFile, converted })
            {
                using (var r = PcapReader.Open(file))
                {
                    Assert.Equal((CaptureFileFormat.PcapNg, PcapLinkType.Ethernet), (r.Format, r.LinkType));
                    ulong next = 0;
                    while (r.TryReadNext(out var rec))
                    {
                        Assert.Equal(next, IndexOf(rec.LinkType, r.Data));
                        Assert.Equal(TestFrames.Indexed(next++), r.Data.ToArray());
                    }
                    Assert.Equal((ulong)N, next);
                }
                var (counter, report) = Replay(file, a, b);
                AssertEveryIndexOnce(counter);
                Assert.DoesNotContain("link:", report);
            }
        }
    }

    /// <summary>The block types of a little-endian pcapng file, walked by their lengths.</summary>
    internal static List<uint> BlockTypes(string path)
    {
        byte[] f = File.ReadAllBytes(path);
        var types = new List<uint>();
        for (int at = 0; at + 8 <= f.Length;)
        {
            types.Add(BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(at)));
            at += (int)BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(at + 4));
        }
        return types;
    }

    /// <summary>An indexed frame with an 802.1Q tag (id 10), or 802.1ad S-tag 100 around 802.1Q C-tag 20.</summary>
    static byte[] Tagged(ulong index, bool qinq)
    {
        var frame = new byte[200];
        byte[] plain = TestFrames.Indexed(index);
        plain.CopyTo(frame, 0);
        int n = FrameBuilder.InsertVlanTag(frame, plain.Length, EtherType.Vlan, (ushort)(qinq ? 20 : 10));
        if (qinq) n = FrameBuilder.InsertVlanTag(frame, n, EtherType.ServiceVlan, 100);
        return frame[..n];
    }

    [ToolFact("tcpdump", "tcpdump", needsNetns: true)]
    public void Vlan_and_qinq_tags_are_walked_in_ethernet_and_cooked_captures()
    {
        // The host kernel here has no 8021q module (no VLAN devices): the lab's frame builder
        // writes the tags, the receiving kernel takes the outer one into the skb
        // (skb_vlan_untag) and libpcap puts it back from PACKET_AUXDATA, as on a real trunk.
        var (topology, a, b) = VethPairRig.Create();
        using (topology)
        {
            string ether = _dir.File("vlan.pcap");
            string cooked = _dir.File("vlan-sll.pcap");
            using (var c1 = new LiveCapture(b, "tcpdump", "-i", "veth1", "-U", "-n", "-w", ether))
            using (var c2 = new LiveCapture(b, "tcpdump", "-i", "any", "-y", "LINUX_SLL", "-U", "-n", "-w", cooked))
            {
                Send(a, "veth0", Enumerable.Range(0, 20).Select(i => Tagged((ulong)i, qinq: i >= 10)));
                c1.Stop(LiveCapture.Settle);
                c2.Stop(TimeSpan.Zero);
            }
            foreach (string file in new[] { ether, cooked })
            {
                using var r = PcapReader.Open(file);
                var seen = new List<(ulong Index, int Tags, ushort OuterTpid)>();
                while (r.TryReadNext(out var rec))
                {
                    var l = FrameDissector.Dissect(rec.LinkType, r.Data);
                    if (l.Protocol != IpProtocol.Udp) continue;
                    Assert.True(PacketIndex.TryRead(r.Data[(l.TransportOffset + 8)..], out ulong index));
                    int tpidAt = rec.LinkType == PcapLinkType.Ethernet ? 12 : 14;
                    seen.Add((index, l.VlanTags, BinaryPrimitives.ReadUInt16BigEndian(r.Data[tpidAt..])));
                }
                // tshark as the independent judge of the tags: its 802.1ad dissector shows the S-tag, its 802.1Q one the C-tag.
                var t = CommandRunner.Run("tshark", ["-n", "-r", file, "-Y", "udp", "-T", "fields", "-e", "ieee8021ad.id", "-e", "vlan.id"]);
                Assert.True(t.Succeeded, t.StandardError);
                string[] lines = t.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                // In the cooked capture of a QinQ frame on this kernel the inner TPID is lost (the
                // SLL protocol says IPv4 and the C-tag's TCI follows; tshark: "Bogus IPv4
                // version"), so only the 802.1Q frames are IP there, for tshark as for the lab.
                int expected = file == ether ? 20 : 10;
                Assert.Equal(expected, seen.Count);
                Assert.Equal(expected, lines.Length);
                for (int i = 0; i < expected; i++)
                {
                    Assert.Equal((ulong)i, seen[i].Index);
                    if (i < 10)
                    {
                        Assert.Equal((1, EtherType.Vlan), (seen[i].Tags, seen[i].OuterTpid));
                        Assert.Equal("\t10", lines[i]);
                    }
                    else
                    {
                        Assert.Equal((2, EtherType.ServiceVlan), (seen[i].Tags, seen[i].OuterTpid));
                        Assert.Equal("100\t20", lines[i]);
                    }
                }
            }
        }
    }

    /// <summary>
    /// ESP over IPv6 from the lab's ESP builder, with extension headers put before ESP by the
    /// frame builder: none, Destination Options, Hop-by-Hop then Destination Options, an atomic
    /// Fragment header; and ESP in UDP 4500 behind a Destination Options header.
    /// </summary>
    static List<byte[]> EspWithExtensionHeaders(uint[] sequence)
    {
        var frames = new List<byte[]>();
        byte[] key = Convert.FromHexString("00112233445566778899aabbccddeeff" + "deadbeef");
        EspFrames.EspSecurityAssociation Sa(uint spi, bool encap) => new()
        {
            Spi = spi,
            KeyMaterial = key,
            TunnelSource = System.Net.IPAddress.Parse("2001:db8:ff::1"),
            TunnelDestination = System.Net.IPAddress.Parse("2001:db8:ff::2"),
            EncapSourcePort = encap ? (ushort)4500 : null,
            EncapDestinationPort = encap ? (ushort)4500 : null,
            SourceMac = TestFrames.SenderMac,
            DestinationMac = TestFrames.ReceiverMac,
        };
        using var plain = new EspFrames.EspFrameBuilder(Sa(0x1111, false));
        using var udp = new EspFrames.EspFrameBuilder(Sa(0x2222, true));
        var inner = new byte[100];
        int innerLength = FrameBuilder.WriteUdpPacket(inner, TestFrames.Flow, new byte[18]);
        for (int i = 0; i < sequence.Length; i++)
        {
            var f = new byte[400];
            bool encap = i % 5 == 4;
            int n = (encap ? udp : plain).Build(f, inner.AsSpan(0, innerLength), sequence[i]);
            switch (encap ? 1 : i % 4)
            {
                case 1:
                    n = FrameBuilder.InsertIpv6ExtensionHeader(f, n, 14, IpProtocol.DestinationOptions);
                    break;
                case 2:
                    n = FrameBuilder.InsertIpv6ExtensionHeader(f, n, 14, IpProtocol.DestinationOptions, 16);
                    n = FrameBuilder.InsertIpv6ExtensionHeader(f, n, 14, IpProtocol.HopByHopOptions);
                    break;
                case 3:
                    n = FrameBuilder.InsertIpv6ExtensionHeader(f, n, 14, IpProtocol.Fragment);
                    break;
            }
            frames.Add(f[..n]);
        }
        return frames;
    }

    [ToolFact("tcpdump", "tcpdump", needsNetns: true)]
    public void Esp_behind_ipv6_extension_headers_is_found_in_ethernet_and_sll2_captures()
    {
        // Arrival order with reordering; every fifth frame is ESP in UDP (SPI 0x2222).
        uint[] sequence = [1, 2, 3, 6, 4, 5, 7, 9, 8, 10, 11, 12, 14, 13, 15, 16, 17, 18, 20, 19];
        var frames = EspWithExtensionHeaders(sequence);
        var (topology, a, b) = VethPairRig.Create();
        using (topology)
        {
            string ether = _dir.File("esp6.pcap");
            string cooked = _dir.File("esp6-any.pcap");
            using (var c1 = new LiveCapture(b, "tcpdump", "-i", "veth1", "-U", "-n", "-w", ether))
            using (var c2 = new LiveCapture(b, "tcpdump", "-i", "any", "-U", "-n", "-w", cooked))
            {
                Send(a, "veth0", frames);
                c1.Stop(LiveCapture.Settle);
                c2.Stop(TimeSpan.Zero);
            }
            var plainSeq = sequence.Where((_, i) => i % 5 != 4).Select(s => (long)s).ToArray();
            var udpSeq = sequence.Where((_, i) => i % 5 == 4).Select(s => (long)s).ToArray();
            foreach (string file in new[] { ether, cooked })
            {
                var arrivals = EspFrames.EspCaptureArrivals.Read(file);
                Assert.Equal([0x1111u, 0x2222u], arrivals.Spis);
                Assert.Equal(plainSeq, arrivals.Sequence(0x1111, esn: false).Sequences);
                Assert.Equal(udpSeq, arrivals.Sequence(0x2222, esn: false).Sequences);
                // tshark finds the same SPIs and sequence numbers behind the same headers.
                var t = CommandRunner.Run("tshark", ["-n", "-r", file, "-Y", "esp", "-T", "fields", "-e", "esp.spi", "-e", "esp.sequence"]);
                Assert.True(t.Succeeded, t.StandardError);
                string[] lines = t.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(sequence.Length, lines.Length);
                for (int i = 0; i < sequence.Length; i++)
                {
                    string[] f = lines[i].Split('\t');
                    Assert.Equal(i % 5 == 4 ? 0x2222u : 0x1111u, Convert.ToUInt32(f[0], 16));
                    Assert.Equal(sequence[i].ToString(CultureInfo.InvariantCulture), f[1]);
                }
            }
            using var r = PcapReader.Open(cooked);
            Assert.Equal(PcapLinkType.LinuxSll2, r.LinkType);
            int[] headers = new int[sequence.Length];
            for (int i = 0; r.TryReadNext(out var rec); i++) headers[i] = FrameDissector.Dissect(rec.LinkType, r.Data).ExtensionHeaders;
            // Frame i: every fifth (i % 5 == 4) one Destination Options header; else by i % 4:
            // none, Destination Options, Hop-by-Hop + Destination Options, Fragment.
            Assert.Equal([0, 1, 2, 1, 1, 1, 2, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 1, 2, 1], headers);
        }
    }
}
