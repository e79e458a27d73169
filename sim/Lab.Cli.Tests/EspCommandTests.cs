namespace Lab.Cli.Tests;

/// <summary><c>lab esp overhead</c> and <c>lab esp replay</c> through the real command line.</summary>
public sealed class EspCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-esp-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static (int Code, string Out, string Err) Lab(params string[] args)
    {
        var o = new StringWriter { NewLine = "\n" };
        var e = new StringWriter { NewLine = "\n" };
        int code = LabCommand.Run(args, o, e);
        return (code, o.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), e.ToString());
    }

    string File(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Overhead_1438_byte_ipv4_in_udp_encapsulated_gcm16_tunnel_is_exactly_1500()
    {
        var (code, o, _) = Lab("esp", "overhead", "--mode", "tunnel", "--family", "ipv4", "--encap", "udp", "--cipher", "gcm16", "--inner", "1438", "--mtu", "1500");
        Assert.Equal(0, code);
        var lines = o.Split('\n');
        Assert.Equal("outer packet: 1500 bytes (inner 1438 bytes, overhead 62 bytes)", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("UDP header", StringComparison.Ordinal) && l.EndsWith(" 8", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ICV", StringComparison.Ordinal) && l.EndsWith(" 16", StringComparison.Ordinal));
        Assert.Contains("mtu 1500: xfrm_state_mtu 1438", o, StringComparison.Ordinal);
        Assert.Contains("verdict: fits", o, StringComparison.Ordinal);
    }

    [Fact]
    public void Overhead_ipv6_transport_cbc_and_an_mtu_drop()
    {
        // transport v6 cbc-sha256, inner 1280: 40 + 8 + 16 + ALIGN(1242, 16) = 1248 + 16 = 1328
        var (code, o, _) = Lab("esp", "overhead", "--mode", "transport", "--family", "ipv6", "--cipher", "cbc-sha256", "--inner", "1280B");
        Assert.Equal(0, code);
        Assert.StartsWith("outer packet: 1328 bytes", o, StringComparison.Ordinal);

        var (c2, o2, _) = Lab("esp", "overhead", "--encap", "udp", "--inner", "1439", "--mtu", "1500");
        Assert.Equal(0, c2);
        Assert.Contains("ICMP fragmentation needed mtu 1438", o2, StringComparison.Ordinal);
        Assert.Contains("XfrmOutStateModeError", o2, StringComparison.Ordinal);
    }

    [Fact]
    public void Overhead_bad_flags_exit_2_naming_the_flag()
    {
        var (code, o, e) = Lab("esp", "overhead", "--mode", "tunnnel", "--cipher", "aes", "--inner", "10");
        Assert.Equal(2, code);
        Assert.Equal("", o);
        Assert.Contains("--mode: expected tunnel, transport or beet, found 'tunnnel'", e, StringComparison.Ordinal);
        Assert.Contains("--cipher:", e, StringComparison.Ordinal);

        var (c2, _, e2) = Lab("esp", "overhead", "--mode", "transport", "--tfc-pad", "100", "--inner", "100");
        Assert.Equal(2, c2);
        Assert.Contains("TFC padding can only be used in tunnel mode", e2, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_legacy_window_32_walks_the_must_show_case()
    {
        var input = string.Join('\n', Enumerable.Range(1, 100)) + "\n68\n99\n0\n";
        var (code, o, e) = Lab("esp", "replay", "--mode", "legacy", "--window", "32", File("seq.txt", input));
        Assert.Equal(0, code);
        Assert.Equal("", e);
        var expected = string.Concat(Enumerable.Repeat("accept\n", 100)) +
            "drop replay_window\ndrop replay\ndrop XfrmInStateSeqError\n" +
            "replay mode legacy replay-window 32\n" +
            "stats:\n  replay-window 1 replay 1 failed 0\n" +
            "XfrmInStateSeqError 3\nXfrmInStateProtoError 0\n" +
            "anti-replay context: seq 0x64, oseq 0x0, bitmap 0xffffffff\n";
        Assert.Equal(expected, o);
    }

    [Fact]
    public void Replay_bmp_4096_with_init_seq_in_hex()
    {
        // top 0x2710 = 10000: 5905 is top - 4095 (accepted), 5904 is top - 4096 (too old).
        var (code, o, _) = Lab("esp", "replay", "--mode", "bmp", "--window", "4096", "--init-seq", "0x2710", File("b.txt", "5905\n5904\n5905\n"));
        Assert.Equal(0, code);
        Assert.StartsWith("accept\ndrop replay_window\ndrop replay\nreplay mode bmp replay-window 4096\n", o, StringComparison.Ordinal);
        Assert.Contains(" replay_window 4096, bitmap-length 128\n", o, StringComparison.Ordinal);
        // 128 words, 8 per line: 16 lines of " " + 8 x "%08x" joined by spaces (72 characters).
        Assert.Equal(16, o.Split('\n').Count(l => l.Length == 72 && l[0] == ' ' && l[1..].Split(' ').All(w => w.Length == 8)));
        // word 56 bit 16 (see ReplayBmpTests): the 128 - 56 = 72nd word printed, on line 9, 8th.
        Assert.Contains(" 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00010000\n", o, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_esn_across_the_boundary_and_a_wrong_inference()
    {
        var (code, o, _) = Lab("esp", "replay", "--mode", "esn", "--window", "32", "--init-seq", "0xfffffffe", "--init-seq-hi", "0",
            File("e.txt", "0xffffffff\n0x100000000\n0x100000001\n0xffffffff\n0x200000002\n"));
        Assert.Equal(0, code);
        // Top 0x1_00000001 (case B, bottom 0xffffffe2): the resent 0xffffffff is diff 2 -> replay.
        // 0x2_00000002: low 2 is above the top and below the bottom -> "new" in subspace 1, but the
        // sender used subspace 2 -> ICV fails.
        Assert.StartsWith("accept\naccept\naccept\ndrop replay\ndrop integrity_failed\n", o, StringComparison.Ordinal);
        Assert.Contains(" seq-hi 0x1, seq 0x1, oseq-hi 0x0, oseq 0x0\n", o, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_bad_line_exits_2_with_file_line_column_and_prints_nothing()
    {
        var path = File("bad.txt", "1\n2\n  oops\n");
        var (code, o, e) = Lab("esp", "replay", "--mode", "legacy", "--window", "32", path);
        Assert.Equal(2, code);
        Assert.Equal("", o);
        Assert.Contains($"{path}:3:3: expected a sequence number", e, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_refuses_what_the_kernel_refuses()
    {
        var path = File("ok.txt", "1\n");
        var (c1, _, e1) = Lab("esp", "replay", "--mode", "esn", "--window", "0", path);
        Assert.Equal(2, c1);
        Assert.Contains("--window: ESN replay window must be > 0", e1, StringComparison.Ordinal);
        var (c2, _, e2) = Lab("esp", "replay", "--mode", "bmp", "--window", "5000", path);
        Assert.Equal(2, c2);
        Assert.Contains("XFRMA_REPLAY_ESN_MAX", e2, StringComparison.Ordinal);
        var (c3, _, e3) = Lab("esp", "replay", "--mode", "fast", "--window", "32", path);
        Assert.Equal(2, c3);
        Assert.Contains("--mode: expected legacy, bmp or esn", e3, StringComparison.Ordinal);
        var (c4, _, e4) = Lab("esp", "replay", "--mode", "bmp", "--window", "32", Path.Combine(_dir, "missing.txt"));
        Assert.Equal(2, c4);
        Assert.Contains("no such file", e4, StringComparison.Ordinal);
    }
}
