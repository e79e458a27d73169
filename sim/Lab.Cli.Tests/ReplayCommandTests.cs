using Lab.Cli;

namespace Lab.Cli.Tests;

/// <summary><c>lab replay</c> flag handling: every mistake exits 2 with one line naming the flag or file.</summary>
public sealed class ReplayCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args) => ScenarioRun.Lab(args);

    [Fact]
    public void Missing_iface_is_bad_input()
    {
        var (code, _, err) = Run("replay", "x.pcap");
        Assert.Equal(2, code);
        Assert.Contains("--iface", err);
    }

    [Theory]
    [InlineData("pps:0")]
    [InlineData("warp")]
    public void Bad_timing_is_bad_input(string timing)
    {
        var (code, _, err) = Run("replay", "x.pcap", "--iface", "veth0", "--timing", timing);
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: --timing: expected original, topspeed, pps:N or mbps:N with N a number above 0, found '{timing}'", err.Trim());
    }

    [Fact]
    public void Negative_loop_is_bad_input()
    {
        var (code, _, err) = Run("replay", "x.pcap", "--iface", "veth0", "--loop", "-1");
        Assert.Equal(2, code);
        Assert.StartsWith("lab: error: --loop: expected a whole number >= 0", err.Trim());
    }

    [Fact]
    public void Missing_pcap_is_bad_input_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lab-none-{Guid.NewGuid():N}.pcap");
        var (code, _, err) = Run("replay", path, "--iface", "veth0");
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: {path}: no such pcap file", err.Trim());
    }

    [Fact]
    public void Malformed_pcap_is_bad_input_naming_the_offset()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lab-bad-{Guid.NewGuid():N}.pcap");
        File.WriteAllBytes(path, Convert.FromHexString("deadbeef000000000000000000000000000000000000000000"));
        try
        {
            var (code, _, err) = Run("replay", path, "--iface", "veth0");
            Assert.Equal(2, code);
            Assert.StartsWith($"lab: error: {path}: offset 0: expected pcap magic", err.Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }

    // pcapng blocks, little endian: a Section Header Block (28 bytes), an Ethernet Interface
    // Description Block (20 bytes, at 28), an Enhanced Packet Block with 4 bytes (36 bytes, at 48).
    const string Shb = "0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000";
    const string Idb = "0100000014000000010000000000040014000000";
    const string Epb = "06000000240000000000000000000000000000000400000004000000010203042400000024000000";

    public static TheoryData<string, string> BadPcapngHeaders() => new()
    {
        // The byte-order magic at 8 is neither 1a2b3c4d nor 4d3c2b1a.
        { "0a0d0d0a1c000000deadbeef01000000ffffffffffffffff1c000000", "offset 8: Section Header Block: expected byte-order magic 1a2b3c4d in either byte order, found deadbeef" },
        // The IDB's total length (at 32) is huge.
        { Shb + "01000000fcffffff0100000000000400", "offset 32: Interface Description Block: expected a block total length below 2^31, found 4294967292" },
        // The IDB stops after 10 of its 20 bytes.
        { Shb + Idb[..20], "offset 28: Interface Description Block: expected 20 bytes, found 10 (file truncated)" },
        // The SHB's trailing length (at 24) disagrees with its leading one.
        { Shb[..48] + "20000000", "offset 24: Section Header Block: expected the trailing block total length 28, found 32" },
    };

    [Theory]
    [MemberData(nameof(BadPcapngHeaders))]
    public void Malformed_pcapng_is_bad_input_naming_file_and_offset(string hex, string message)
    {
        string path = Path.Combine(Path.GetTempPath(), $"lab-bad-{Guid.NewGuid():N}.pcapng");
        File.WriteAllBytes(path, Convert.FromHexString(hex));
        try
        {
            foreach (string[] args in new[] { new[] { "replay", path, "--iface", "veth0" }, ["reorder", "--pcap", path] })
            {
                var (code, output, err) = Run(args);
                Assert.Equal(2, code);
                Assert.Equal($"lab: error: {path}: {message}", err.Trim());
                Assert.DoesNotContain("Exception", err + output); // no stack trace
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(48, "0600000025000000", "offset 52: Enhanced Packet Block: expected a block total length that is a multiple of 4 and at least 12, found 37")]
    [InlineData(68, "", "offset 48: Enhanced Packet Block: expected 36 bytes, found 20 (file truncated)")]
    [InlineData(84, "06000000", "offset 84: expected an 8-byte pcapng block header, found 4 bytes (file truncated)")]
    public void Malformed_pcapng_packet_blocks_stop_lab_reorder_with_the_offset(int keep, string tail, string message)
    {
        // SHB + IDB + EPB = 84 bytes; keep the first bytes, then append a (bad) block start.
        byte[] whole = Convert.FromHexString(Shb + Idb + Epb);
        string path = Path.Combine(Path.GetTempPath(), $"lab-bad-{Guid.NewGuid():N}.pcapng");
        File.WriteAllBytes(path, [.. whole[..Math.Min(keep, whole.Length)], .. Convert.FromHexString(tail)]);
        try
        {
            var (code, output, err) = Run("reorder", "--pcap", path);
            Assert.Equal(2, code);
            Assert.Equal($"lab: error: {path}: {message}", err.Trim());
            Assert.DoesNotContain("Exception", err + output); // no stack trace
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bad_mac_is_bad_input_naming_the_flag()
    {
        var (code, _, err) = Run("replay", "x.pcap", "--iface", "veth0", "--dst-mac", "02:00:00:00:00");
        Assert.Equal(2, code);
        Assert.Equal("lab: error: --dst-mac: expected a MAC address such as 02:00:00:00:00:01, found '02:00:00:00:00'", err.Trim());
    }
}
