using Lab.Captures.AfPacket;
using Lab.Captures.Netns;
using Lab.Captures.Pcap;
using Lab.Captures.Replay;
using Lab.Captures.Tests.Support;
using Lab.Core;
using Lab.KernelLab.Netns;

namespace Lab.Captures.Tests;

/// <summary>
/// Against the host kernel, inside namespaces the test creates: a sender namespace and a
/// receiver namespace joined by a veth pair; the receiver counts frames by packet index with
/// an AF_PACKET socket on the peer end.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class KernelReplayTests
{
    [NetnsFact]
    public void Topology_creates_namespaces_and_veths_and_removes_them_all()
    {
        string a, b;
        using (var p = VethPairRig.Create().Topology)
        {
            a = p.Namespaces[0];
            b = p.Namespaces[1];
            Assert.StartsWith($"lab-{Environment.ProcessId}-", a);
            Assert.NotEqual(a, b);
            Assert.True(NetworkNamespace.Exists(a));
            Assert.Contains("veth0", p.Ip(a, "-o", "link", "show", "veth0"));
            Assert.Contains("veth1", p.Ip(b, "-o", "link", "show", "veth1"));
            // The command runs inside the namespace: it sees veth1, the host does not.
            Assert.Contains("veth1", p.Exec(b, "ip", "-o", "link"));
            Assert.DoesNotContain($"{a}", CommandRunner.RunChecked("ip", "-o", "link"));
        }
        Assert.False(NetworkNamespace.Exists(a));
        Assert.False(NetworkNamespace.Exists(b));
    }

    [NetnsFact]
    public void Topology_removes_what_it_built_when_building_fails()
    {
        string? created = null;
        var t = new NetnsTopology();
        try
        {
            created = t.AddNamespace("x");
            // Fails: the peer namespace does not belong to this topology.
            Assert.Throws<ArgumentException>(() => t.AddVethPair(created, "v0", "lab-nonexistent", "v1"));
            // Fails inside ip: an interface name longer than IFNAMSIZ.
            Assert.Throws<InvalidOperationException>(() => t.AddVethPair(created, "this-name-is-too-long", created, "v1"));
        }
        finally
        {
            t.Dispose();
        }
        Assert.False(NetworkNamespace.Exists(created!));
    }

    [NetnsFact]
    public void Sender_in_one_namespace_reaches_the_receiver_in_the_other_frame_for_frame()
    {
        var (topology, a, b) = VethPairRig.Create();
        using (topology)
        {
            const int N = 2000;
            var counter = new IndexedFrameCounter(N);
            using var capture = counter.StartCapture("veth1", b);
            using (var socket = AfPacketSocket.Open("veth0", a, new AfPacketOptions { QdiscBypass = true }))
            using (var sender = new AfPacketSender(socket, 32))
            {
                for (int i = 0; i < N; i++)
                {
                    if (!sender.TryAdd(TestFrames.Indexed((ulong)i))) { sender.Flush(); sender.TryAdd(TestFrames.Indexed((ulong)i)); }
                    if (i % 100 == 99) { sender.Flush(); Thread.Sleep(1); } // stay under the receiver's backlog
                }
                sender.Flush();
                Assert.Equal(N, sender.Sent);
                Assert.Equal(0, sender.Failed);
            }
            capture.Stop(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10));
            Assert.Equal(0u, capture.KernelDrops);
            Assert.Equal(N, counter.IndexedFrames);
            for (ulong i = 0; i < N; i++) Assert.Equal(1, counter.CountOf(i));
        }
    }

    [NetnsFact]
    public void Unknown_interface_and_namespace_are_input_errors()
    {
        var (topology, a, _) = VethPairRig.Create();
        using (topology)
        {
            var e = Assert.Throws<LabInputException>(() => AfPacketSocket.Open("nosuch0", a, new AfPacketOptions()));
            Assert.Equal($"--iface: no interface 'nosuch0' in network namespace '{a}'", e.Message);
        }
        var e2 = Assert.Throws<LabInputException>(() => AfPacketSocket.Open("veth0", "lab-none-here", new AfPacketOptions()));
        Assert.StartsWith("--netns: no network namespace 'lab-none-here'", e2.Message);
    }

    [NetnsFact]
    public void Replay_paces_the_capture_to_within_one_percent_and_every_packet_arrives()
    {
        // 1000 frames 2 ms apart: the capture lasts 999 x 2 ms = 1.998 s; 1 % is 19.98 ms.
        using var dir = new TempDirectory();
        string path = dir.File("paced.pcap");
        const int N = 1000;
        const long Gap = 2_000_000;
        TestFrames.WritePcap(path, N, Gap);
        long captureSpan = (N - 1) * Gap;

        var (topology, a, b) = VethPairRig.Create();
        using (topology)
        {
            var counter = new IndexedFrameCounter(N);
            ReplayResult result;
            using (var capture = counter.StartCapture("veth1", b))
            {
                var options = new ReplayOptions { PcapPath = path, Interface = "veth0", Namespace = a, Timing = ReplayTiming.Original };
                var output = new StringWriter();
                using (var reader = PcapReader.Open(path))
                using (var socket = AfPacketSocket.Open("veth0", a, new AfPacketOptions { QdiscBypass = true }))
                using (var sender = new AfPacketSender(socket))
                {
                    result = PcapReplayer.Run(reader, sender, ReplayTiming.Original, 1, 0, null, CancellationToken.None);
                    ReplayRunner.WriteReport(output, options, result, sender);
                }
                capture.Stop(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10));
                Assert.Equal(0u, capture.KernelDrops);
                Assert.Contains($"packets:    {N} sent, 0 failed", output.ToString());
            }
            Assert.Equal(N, result.Packets);
            Assert.Equal(captureSpan, result.ScheduledNanoseconds);
            Assert.InRange(result.SendSpanNanoseconds, captureSpan * 99 / 100, captureSpan * 101 / 100);
            // The receiving side: every packet exactly once, and the kernel's receive times span the same.
            Assert.Equal(N, counter.IndexedFrames);
            for (ulong i = 0; i < N; i++) Assert.Equal(1, counter.CountOf(i));
            long received = counter.LastTimestampNanoseconds - counter.FirstTimestampNanoseconds;
            Assert.InRange(received, captureSpan * 99 / 100, captureSpan * 101 / 100);
        }
    }

    [NetnsFact]
    public void Replay_command_loops_and_counts_through_the_runner()
    {
        using var dir = new TempDirectory();
        string path = dir.File("small.pcap");
        TestFrames.WritePcap(path, 100, 1000);
        var (topology, a, b) = VethPairRig.Create();
        using (topology)
        {
            var counter = new IndexedFrameCounter(100);
            var output = new StringWriter();
            int rc;
            using (var capture = counter.StartCapture("veth1", b))
            {
                rc = ReplayRunner.Run(new ReplayOptions
                {
                    PcapPath = path, Interface = "veth0", Namespace = a, Timing = ReplayTiming.Parse("pps:20000"), Loop = 3, Count = 250,
                }, output, null, CancellationToken.None);
                capture.Stop(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10));
            }
            Assert.Equal(0, rc);
            Assert.Contains("packets:    250 sent, 0 failed", output.ToString());
            Assert.Contains("passes:     3", output.ToString());
            // Passes 1 and 2 send 0..99, pass 3 stops after 0..49.
            Assert.Equal(250, counter.IndexedFrames);
            for (ulong i = 0; i < 100; i++) Assert.Equal(i < 50 ? 3 : 2, counter.CountOf(i));
        }
    }
}
