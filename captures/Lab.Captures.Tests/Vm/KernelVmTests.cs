using System.Buffers.Binary;
using System.Globalization;
using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.Vm;

[Collection(KernelVmCollection.Name)]
public sealed class KernelVmTests(KernelVmFixture fixture) : IClassFixture<KernelVmFixture>
{
    // A 160-bit rfc4106(gcm(aes)) key: 128-bit AES key followed by the 4-byte salt (RFC 4106 section 8.1).
    private const string Key160 = "0x00112233445566778899aabbccddeeff01020304";
    private const uint Spi = 0x1000;

    private KernelVm Vm => fixture.Guest;

    [VmFact]
    public void Guest_runs_the_debian_6_1_kernel_it_was_built_from()
    {
        var (exit, stdout) = Vm.Run("uname -r");

        Assert.Equal(0, exit);
        Assert.StartsWith("6.1.", stdout, StringComparison.Ordinal);
        Assert.Equal(Vm.Image.KernelRelease, stdout.Trim());
        Assert.Equal(Vm.KernelRelease, stdout.Trim());
        Assert.Contains("Debian", Vm.RunChecked("cat /proc/version"), StringComparison.Ordinal);
    }

    [VmFact]
    public void Guest_nic_has_the_mac_the_harness_gave_it()
    {
        var nic = Vm.Nics[0];
        Assert.Equal(nic.GuestMac, Vm.RunChecked($"cat /sys/class/net/{nic.GuestInterface}/address").Trim());
    }

    [VmFact]
    public void Exit_code_stdout_and_stderr_come_back_separately_and_markers_cannot_be_forged()
    {
        var r = Vm.Run("echo out; echo '@@END 1 0 0'; echo err >&2; printf 'no newline'; exit 7");

        Assert.Equal(7, r.ExitCode);
        Assert.Equal("out\n@@END 1 0 0\nno newline", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
    }

    [VmFact]
    public void Real_ip_and_modprobe_run_not_busybox_applets()
    {
        // Busybox's own `ip` has no xfrm and its modprobe prints no "kmod" version.
        Assert.Contains("iproute2", Vm.RunChecked("ip -V"), StringComparison.Ordinal);
        Assert.Contains("kmod version", Vm.RunChecked("modprobe --version"), StringComparison.Ordinal);
        Assert.Contains("nftables v1.0.6", Vm.RunChecked("nft -v"), StringComparison.Ordinal);
        Assert.Contains("conntrack v1.4.7", Vm.RunChecked("conntrack -V"), StringComparison.Ordinal);
    }

    [VmFact]
    public void Esp_state_and_policy_load_and_bad_packets_move_the_counters_the_kernel_source_predicts()
    {
        Vm.RunChecked("modprobe -a esp4 esp6 xfrm_user");
        Vm.RunChecked(
            $"ip xfrm state add src {KernelVmFixture.HostIp} dst {KernelVmFixture.GuestIp} proto esp spi {Spi} reqid 1 mode tunnel " +
            $"replay-window 32 aead 'rfc4106(gcm(aes))' {Key160} 128\n" +
            $"ip xfrm policy add src 198.51.100.0/24 dst 203.0.113.0/24 dir in " +
            $"tmpl src {KernelVmFixture.HostIp} dst {KernelVmFixture.GuestIp} proto esp reqid 1 mode tunnel");
        var before = XfrmCounters.Read(c => Vm.RunChecked(c));
        var sa = before.State(Spi);
        Assert.Equal(("esp", "tunnel", 32u, false, 1u), (sa.Protocol, sa.Mode, sa.WindowSize, sa.Esn, sa.ReqId));
        Assert.Equal((KernelVmFixture.HostIp, KernelVmFixture.GuestIp), (sa.Source, sa.Destination));
        Assert.Equal((0u, 0u, 0u, 0ul), (sa.ReplayWindow, sa.Replay, sa.IntegrityFailed, sa.Packets));
        Assert.Contains("dir in", Vm.RunChecked("ip xfrm policy"), StringComparison.Ordinal);

        // Three ESP packets for the SA, none genuine (net/xfrm/xfrm_input.c, xfrm_replay.c, 6.1):
        // seq 0 fails xfrm_replay_check_legacy (no per-SA counter) -> XfrmInStateSeqError +1;
        // seq 1 passes the replay check, then esp_input's AEAD decryption returns -EBADMSG
        // -> x->stats.integrity_failed +1 and XfrmInStateProtoError +1. The window only
        // advances after a successful decryption, so the second seq-1 packet is not a
        // replay: it fails the ICV again. Totals: failed 2, ProtoError +2, SeqError +1.
        using (var tap = Vm.OpenTap())
        {
            foreach (var seq in new uint[] { 0, 1, 1 })
                tap.Send(ToGuest(50, TestFrames.BogusEsp(Spi, seq)));
        }
        var after = WaitFor(() => XfrmCounters.Read(c => Vm.RunChecked(c)),
            c => c.Stat.XfrmInStateProtoError - before.Stat.XfrmInStateProtoError >= 2);

        var s = after.State(Spi);
        Assert.Equal((0u, 0u, 2u), (s.ReplayWindow, s.Replay, s.IntegrityFailed));
        Assert.Equal(1, after.Stat.XfrmInStateSeqError - before.Stat.XfrmInStateSeqError);
        Assert.Equal(2, after.Stat.XfrmInStateProtoError - before.Stat.XfrmInStateProtoError);
        Assert.Equal(0, after.Stat.XfrmInNoStates - before.Stat.XfrmInNoStates);
        Assert.Equal(0ul, s.Seq); // nothing was accepted, so the window never moved
    }

    [VmFact]
    public void Frame_injected_on_the_tap_reaches_the_guest_and_its_echo_reply_comes_back()
    {
        var nic = Vm.Nics[0];
        var rxBefore = RxPackets(nic);
        var data = new byte[32];
        for (var i = 0; i < data.Length; i++)
            data[i] = (byte)i;
        const ushort id = 0x4c61, seq = 7;

        using var tap = Vm.OpenTap();
        tap.Send(ToGuest(1, TestFrames.IcmpEcho(id, seq, data)));
        var reply = ReceiveIcmpReply(tap, id, TimeSpan.FromSeconds(20));

        Assert.NotNull(reply);
        var frame = reply!;
        Assert.Equal(VmNic.MacBytes(nic.TapMac), frame[0..6]);
        Assert.Equal(VmNic.MacBytes(nic.GuestMac), frame[6..12]);
        var icmp = frame.AsSpan(TestFrames.EthernetHeader + TestFrames.Ipv4Header);
        Assert.Equal(0, icmp[0]); // echo reply
        Assert.Equal(seq, BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]));
        Assert.Equal(data, icmp[8..].ToArray());
        Assert.Equal(0, TestFrames.Checksum(icmp)); // a valid checksum sums to zero
        // Nothing else sends on the tap (IPv6 is off in the VM's namespace): exactly our frame.
        Assert.Equal(rxBefore + 1, RxPackets(nic));
    }

    [VmFact]
    public void Nft_ruleset_with_a_flowtable_loads()
    {
        Vm.RunChecked("ip link add lv0 type veth peer name lv1 && ip link set lv0 up && ip link set lv1 up");
        Vm.WriteFile("/tmp/ft.nft", """
            table inet labft {
                flowtable ft {
                    hook ingress priority 0
                    devices = { eth0, lv0 }
                }
                chain forward {
                    type filter hook forward priority 0; policy accept;
                    meta l4proto { tcp, udp } flow add @ft
                    counter
                }
            }
            """);

        var load = Vm.Run("nft -f /tmp/ft.nft");
        Assert.True(load.ExitCode == 0, load.Stderr);

        var listed = Vm.RunChecked("nft list flowtables");
        Assert.Contains("flowtable ft", listed, StringComparison.Ordinal);
        Assert.Contains("devices = { eth0, lv0 }", listed, StringComparison.Ordinal);
        var modules = Vm.RunChecked("cut -d' ' -f1 /proc/modules").Split('\n');
        Assert.Contains("nf_flow_table", modules);
        Assert.Contains("nf_flow_table_inet", modules);
        Assert.Contains("nft_flow_offload", modules);
        Vm.RunChecked("nft delete table inet labft && ip link del lv0");
    }

    private byte[] ToGuest(byte protocol, byte[] payload)
    {
        var nic = Vm.Nics[0];
        return TestFrames.Ipv4(VmNic.MacBytes(nic.GuestMac), VmNic.MacBytes(nic.TapMac),
            [192, 0, 2, 1], [192, 0, 2, 2], protocol, payload);
    }

    private long RxPackets(VmNic nic) => long.Parse(
        Vm.RunChecked($"cat /sys/class/net/{nic.GuestInterface}/statistics/rx_packets").Trim(), CultureInfo.InvariantCulture);

    /// <summary>The first IPv4 ICMP echo reply with this identifier; other frames (IPv6 neighbour discovery) are skipped.</summary>
    private static byte[]? ReceiveIcmpReply(TapPort tap, ushort id, TimeSpan timeout)
    {
        var buffer = new byte[2048];
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var n = tap.Receive(buffer, until - DateTime.UtcNow);
            if (n < 0)
                return null;
            const int icmp = TestFrames.EthernetHeader + TestFrames.Ipv4Header;
            if (n >= icmp + 8
                && BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(12)) == 0x0800
                && buffer[TestFrames.EthernetHeader + 9] == 1
                && buffer[icmp] == 0
                && BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(icmp + 4)) == id)
                return buffer[..n];
        }
        return null;
    }

    /// <summary>Counters are read after the guest has processed the frames; polls until it has (bounded).</summary>
    private static T WaitFor<T>(Func<T> read, Func<T, bool> done)
    {
        var value = read();
        for (var i = 0; i < 50 && !done(value); i++)
        {
            Thread.Sleep(200);
            value = read();
        }
        return value;
    }
}
