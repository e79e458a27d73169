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
        File.WriteAllBytes(path, Convert.FromHexString("0a0d0d0a000000000000000000000000000000000000000000"));
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
}
