using System.Diagnostics;
using System.Globalization;
using System.Net;
using Lab.Captures.AfPacket;
using Lab.Captures.EspFrames;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;
using Lab.Captures.Tests.Support;
using Lab.KernelLab.Netns;

namespace Lab.Captures.Tests;

/// <summary>
/// Pcaps written by real tools (tcpdump, libpcap) are read, and pcaps written here are read
/// and checked by real tools (tcpdump, tshark): the format, the checksums and the ESP
/// encryption are judged by code that is not ours.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class ToolInteropTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [ToolFact("tcpdump", "tcpdump")]
    public void Tcpdump_rewrites_our_capture_and_we_read_its_output()
    {
        string ours = _dir.File("ours.pcap");
        TestFrames.WritePcap(ours, 50, 1_234_567);
        // tcpdump -w writes microsecond pcap by default and nanosecond pcap on request.
        foreach (bool nano in new[] { false, true })
        {
            string theirs = _dir.File($"theirs-{nano}.pcap");
            var args = new List<string> { "-r", ours, "-w", theirs };
            if (nano) args.AddRange(["--time-stamp-precision", "nano"]);
            var r = CommandRunner.Run("tcpdump", args);
            Assert.True(r.Succeeded, r.StandardError);
            using var reader = PcapReader.Open(theirs);
            Assert.Equal(nano, reader.NanosecondResolution);
            int i = 0;
            while (reader.TryReadNext(out var rec))
            {
                long ts = 1_700_000_000_000_000_000 + i * 1_234_567L;
                Assert.Equal(nano ? ts : ts / 1000 * 1000, rec.TimestampNanoseconds);
                Assert.Equal(TestFrames.Indexed((ulong)i), reader.Data.ToArray());
                i++;
            }
            Assert.Equal(50, i);
        }
    }

    [ToolFact("tcpdump", "tcpdump", needsNetns: true)]
    public void Tcpdump_live_capture_on_a_veth_in_a_namespace_is_read_back_frame_for_frame()
    {
        using var t = new NetnsTopology();
        string a = t.AddNamespace("snd");
        string b = t.AddNamespace("dump");
        t.DisableIpv6(a);
        t.DisableIpv6(b);
        t.AddVethPair(a, "veth0", b, "veth1", TestFrames.SenderMac, TestFrames.ReceiverMac);
        string file = _dir.File("live.pcap");
        const int N = 200;
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string s in new[] { "netns", "exec", b, "tcpdump", "-i", "veth1", "-U", "-n", "-c", N.ToString(CultureInfo.InvariantCulture),
                     "--time-stamp-precision", "nano", "-w", file, "udp" })
            psi.ArgumentList.Add(s);
        using var dump = Process.Start(psi)!;
        try
        {
            // tcpdump says "listening on veth1" once its socket is bound.
            var listening = new TaskCompletionSource();
            dump.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true) listening.TrySetResult(); };
            dump.BeginErrorReadLine();
            Assert.True(listening.Task.Wait(TimeSpan.FromSeconds(20)), "tcpdump did not start listening");
            using (var socket = AfPacketSocket.Open("veth0", a, new AfPacketOptions { QdiscBypass = true }))
            using (var sender = new AfPacketSender(socket, 16))
            {
                for (int i = 0; i < N; i++)
                {
                    Assert.True(sender.TryAdd(TestFrames.Indexed((ulong)i)));
                    if (sender.Count == 16) sender.Flush();
                }
                sender.Flush();
            }
            Assert.True(dump.WaitForExit(20_000), "tcpdump did not see all frames");
        }
        finally
        {
            if (!dump.HasExited) dump.Kill(entireProcessTree: true);
        }
        using var reader = PcapReader.Open(file);
        Assert.Equal(PcapLinkType.Ethernet, reader.LinkType);
        int n = 0;
        long last = 0;
        while (reader.TryReadNext(out var rec))
        {
            Assert.Equal(TestFrames.Indexed((ulong)n), reader.Data.ToArray());
            Assert.True(rec.TimestampNanoseconds >= last);
            last = rec.TimestampNanoseconds;
            n++;
        }
        Assert.Equal(N, n);
    }

    [ToolFact("tshark", "tshark")]
    public void Tshark_finds_our_ipv4_and_udp_checksums_good()
    {
        string path = _dir.File("sum.pcap");
        using (var w = PcapWriter.Create(path))
        {
            var buf = new byte[200];
            w.Write(1_000_000_000, TestFrames.Indexed(1));
            var v6 = TestFrames.Flow with { Source = IPAddress.Parse("2001:db8::1"), Destination = IPAddress.Parse("2001:db8::2") };
            int n = FrameBuilder.WriteUdpFrame(buf, v6, "checksum"u8);
            w.Write(1_000_000_001, buf.AsSpan(0, n));
            n = FrameBuilder.WriteTcpFrame(buf, TestFrames.Flow, 1000, 0, TcpFlags.Syn, 65535, [], Convert.FromHexString("020405b4"));
            w.Write(1_000_000_002, buf.AsSpan(0, n));
            w.Commit();
        }
        var r = CommandRunner.Run("tshark", ["-n", "-r", path, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-e", "frame.time_epoch", "-e", "ip.checksum.status",
            "-e", "udp.checksum.status", "-e", "tcp.checksum.status"]);
        Assert.True(r.Succeeded, r.StandardError);
        string[] lines = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Wireshark's checksum status: 0 bad, 1 good, 2 unverified (proto.h, PROTO_CHECKSUM_E_GOOD).
        Assert.Equal(3, lines.Length);
        Assert.Equal(["1.000000000", "1", "1", ""], lines[0].Split('\t'));
        Assert.Equal(["1.000000001", "", "1", ""], lines[1].Split('\t'));
        Assert.Equal(["1.000000002", "1", "", "1"], lines[2].Split('\t'));
    }

    public static TheoryData<EspMode, bool, bool> EspVariants()
    {
        var d = new TheoryData<EspMode, bool, bool>();
        foreach (var mode in new[] { EspMode.Tunnel, EspMode.Transport })
            foreach (bool v6 in new[] { false, true })
                foreach (bool encap in new[] { false, true })
                    d.Add(mode, v6, encap);
        return d;
    }

    [ToolTheory("tshark", "tshark")]
    [MemberData(nameof(EspVariants))]
    public void Tshark_decrypts_our_esp_frames_with_the_same_key(EspMode mode, bool v6, bool encap)
    {
        byte[] key = Convert.FromHexString("00112233445566778899aabbccddeeff" + "deadbeef");
        var sa = new EspSecurityAssociation
        {
            Spi = 0x00001234,
            KeyMaterial = key,
            Mode = mode,
            TunnelSource = IPAddress.Parse(v6 ? "2001:db8:ff::1" : "198.51.100.1"),
            TunnelDestination = IPAddress.Parse(v6 ? "2001:db8:ff::2" : "198.51.100.2"),
            EncapSourcePort = encap ? (ushort)4500 : null,
            EncapDestinationPort = encap ? (ushort)4500 : null,
        };
        var flow = TestFrames.Flow with
        {
            Source = IPAddress.Parse(v6 ? "2001:db8::1" : "192.0.2.1"),
            Destination = IPAddress.Parse(v6 ? "2001:db8::2" : "192.0.2.2"),
        };
        string path = _dir.File("esp.pcap");
        using (var w = PcapWriter.Create(path))
        using (var b = new EspFrameBuilder(sa))
        {
            var inner = new byte[200];
            var frame = new byte[400];
            var payload = new byte[20];
            for (ulong seq = 1; seq <= 3; seq++)
            {
                PacketIndex.Write(payload, 100 + seq);
                int n = FrameBuilder.WriteUdpPacket(inner, flow, payload);
                int f = b.Build(frame, inner.AsSpan(0, n), seq);
                w.Write((long)seq * 1000, frame.AsSpan(0, f));
            }
            w.Commit();
        }
        string outerSrc = mode == EspMode.Tunnel ? sa.TunnelSource!.ToString() : flow.Source.ToString();
        string outerDst = mode == EspMode.Tunnel ? sa.TunnelDestination!.ToString() : flow.Destination.ToString();
        string uat = $"\"{(v6 ? "IPv6" : "IPv4")}\",\"{outerSrc}\",\"{outerDst}\",\"0x00001234\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x{Convert.ToHexStringLower(key)}\",\"NULL\",\"\"";
        var r = CommandRunner.Run("tshark", ["-n", "-r", path, "-o", "esp.enable_encryption_decode:TRUE", "-o", $"uat:esp_sa:{uat}",
            "-o", "udp.check_checksum:TRUE", "-T", "fields", "-e", "esp.sequence", "-e", "udp.dstport", "-e", "udp.checksum.status", "-e", "data.data"]);
        Assert.True(r.Succeeded, r.StandardError);
        string[] lines = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 3, r.StandardOutput + r.StandardError);
        for (int i = 0; i < 3; i++)
        {
            // The inner UDP datagram to port 9 is visible only if tshark decrypted the payload,
            // and its data is our payload with packet index 101..103.
            var payload = new byte[20];
            PacketIndex.Write(payload, 101 + (ulong)i);
            Assert.Contains($"{i + 1}", lines[i].Split('\t')[0]);
            Assert.Contains("9", lines[i].Split('\t')[1].Split(','));
            Assert.True(lines[i].Split('\t')[3].Contains(Convert.ToHexStringLower(payload), StringComparison.Ordinal), r.StandardOutput);
        }
    }
}
