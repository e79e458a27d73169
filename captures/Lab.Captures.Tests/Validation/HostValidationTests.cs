using System.Globalization;
using System.Net;
using Lab.Captures.Frames;
using Lab.Captures.Netns;
using Lab.Captures.Tests.Support;
using Lab.KernelLab.Netns;
using Lab.KernelLab.Validation;

namespace Lab.Captures.Tests.Validation;

/// <summary>The validation plumbing on this machine's own kernel, in namespaces the tests create and remove.</summary>
[Collection(KernelCollection.Name)]
public sealed class HostValidationTests
{
    [NetnsFact]
    public void Host_dut_builds_three_namespaces_joined_by_veths_and_removes_them()
    {
        string[] names;
        using (var dut = HostDeviceUnderTest.Create())
        {
            names = [dut.InjectNamespace, dut.DutNamespace, dut.CaptureNamespace];
            Assert.All(names, n => Assert.StartsWith($"lab-{Environment.ProcessId}-", n, StringComparison.Ordinal));
            Assert.Equal(3, names.Distinct().Count());
            Assert.Contains("d0", dut.Run("ip -o link show d0"), StringComparison.Ordinal);
            Assert.Contains("d1", dut.Run("ip -o link show d1"), StringComparison.Ordinal);
            Assert.Contains("02:00:00:00:02:02", dut.Run("cat /sys/class/net/d0/address"), StringComparison.Ordinal);
        }
        Assert.All(names, n => Assert.False(NetworkNamespace.Exists(n)));
    }

    [NetnsFact]
    public void Validator_reports_missing_esp_exactly_when_the_kernel_refuses_an_aes_gcm_sa()
    {
        // An independent probe in a namespace of our own: the same SA iproute2 would add.
        bool kernelHasEsp;
        using (var t = new NetnsTopology())
        {
            string ns = t.AddNamespace("probe");
            var r = t.TryExec(ns, "ip", ["xfrm", "state", "add", "src", "10.0.0.1", "dst", "10.0.0.2", "proto", "esp", "spi", "0x42",
                "mode", "tunnel", "aead", "rfc4106(gcm(aes))", "0x000102030405060708090a0b0c0d0e0f10111213", "128"]);
            kernelHasEsp = r.Succeeded;
        }

        using var dut = HostDeviceUnderTest.Create();
        var validator = new EspKernelValidator(dut);

        if (kernelHasEsp) Assert.Null(validator.EspUnavailableReason);
        else Assert.StartsWith($"the {dut.KernelRelease} kernel cannot add an rfc4106(gcm(aes)) ESP SA (", validator.EspUnavailableReason);
    }

    [NetnsFact]
    public void Barriers_wait_for_the_dut_and_every_injected_frame_reaches_its_ingress()
    {
        using var dut = HostDeviceUnderTest.Create();
        dut.Run(DutScripts.Network(dut));
        var before = DutCounters.Read(dut, states: false);
        var frame = new byte[128];
        // Plain UDP to the DUT's ingress address (port 9: nobody listens, the DUT drops it).
        var flow = new FlowAddresses(EspTraceFrames.SenderMac, EspTraceFrames.DutMac, IPAddress.Parse(DutAddresses.HostIngress4),
            IPAddress.Parse(DutAddresses.DutIngress4), 40000, 9);

        using (var injector = new BarrierInjector(dut, window: 32))
        {
            for (int i = 0; i < 100; i++) injector.Send(frame.AsSpan(0, FrameBuilder.WriteUdpFrame(frame, flow, new byte[20])));
            injector.Barrier();
            // 100 frames: barriers after 32, 64 and 96, and the closing one.
            Assert.Equal(4, injector.Barriers);
            Assert.Equal(104, injector.FramesSent);
        }

        var after = DutCounters.Read(dut, states: false);
        Assert.Equal(104, after.IngressRxPackets - before.IngressRxPackets);
        Assert.Equal(0, after.IngressRxDropped - before.IngressRxDropped);
    }

    [NetnsFact]
    public void Listener_opens_both_nat_t_sockets_in_the_dut()
    {
        using var dut = HostDeviceUnderTest.Create();

        Assert.Equal("ready", dut.StartBackground("lab-espinudp", EspInUdpListener.Executable(), TimeSpan.FromSeconds(10)));

        // /proc/net/udp{,6}: local address 00000000:1194 (0.0.0.0:4500) and the IPv6 wildcard on 4500.
        Assert.Contains("00000000:1194", dut.Run("cat /proc/net/udp"), StringComparison.Ordinal);
        Assert.Contains("00000000000000000000000000000000:1194", dut.Run("cat /proc/net/udp6"), StringComparison.Ordinal);
    }

    [ToolFact("as", "binutils")]
    public void Listener_code_is_what_espinudp_S_assembles_to()
    {
        string source = Path.Combine(RepoRoot(), "captures", "Lab.KernelLab", "Validation", "espinudp.S");
        using var tmp = new TempDirectory();
        var asm = CommandRunner.Run("as", ["--64", "-o", tmp.File("e.o"), source]);
        Assert.True(asm.Succeeded, asm.StandardError);
        var copy = CommandRunner.Run("objcopy", ["-O", "binary", "-j", ".text", tmp.File("e.o"), tmp.File("e.bin")]);
        Assert.True(copy.Succeeded, copy.StandardError);

        Assert.Equal(EspInUdpListener.CodeHex, Convert.ToHexStringLower(File.ReadAllBytes(tmp.File("e.bin"))));
    }

    [Fact]
    public void Listener_executable_is_a_static_x86_64_elf_starting_at_its_code()
    {
        var elf = EspInUdpListener.Executable();

        Assert.Equal("7f454c46020101", Convert.ToHexStringLower(elf.AsSpan(0, 7)));   // ELF, 64-bit, little endian, version 1
        Assert.Equal(62, BitConverter.ToUInt16(elf, 18));                             // EM_X86_64
        Assert.Equal(0x400000ul + 120, BitConverter.ToUInt64(elf, 24));               // entry = after the two headers
        Assert.Equal(EspInUdpListener.CodeHex.Length / 2 + 120, elf.Length);
        Assert.Equal((ulong)elf.Length, BitConverter.ToUInt64(elf, 64 + 32));         // p_filesz: the whole file
    }

    static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Lab.sln"))) d = d.Parent;
        return d?.FullName ?? throw new DirectoryNotFoundException("no Lab.sln above " + AppContext.BaseDirectory);
    }
}
