using Lab.Esp.Path;
using Lab.Core;
using Lab.Esp.Reference;
using Lab.Esp.Replay;

namespace Lab.Esp.Tests;

public class ReplayReferenceTests
{
    static string Run(ReplayReferenceOptions o, string input)
    {
        var w = new StringWriter { NewLine = "\n" };
        ReplayReference.Run(o, new StringReader(input), "in.txt", w);
        return w.ToString();
    }

    [Fact]
    public void Legacy_output_is_the_documented_contract()
    {
        // 1..3 accepted (bitmap 0b111), 2 duplicate, 0 has no per-SA counter.
        var text = Run(new(XfrmReplayMode.Legacy, 32), "1\n2\n# comment\n\n0x3\n2\n0\n");
        Assert.Equal(
            "accept\naccept\naccept\ndrop replay\ndrop XfrmInStateSeqError\n" +
            "replay mode legacy replay-window 32\n" +
            "stats:\n  replay-window 0 replay 1 failed 0\n" +
            "XfrmInStateSeqError 2\nXfrmInStateProtoError 0\n" +
            "anti-replay context: seq 0x3, oseq 0x0, bitmap 0x00000007\n", text);
    }

    [Fact]
    public void Esn_output_prints_words_highest_first_eight_per_line()
    {
        // window 288 -> bmp_len 9: words 8..1 on the first line, word 0 alone on the second
        // (iproute2 starts a line every 8 words counting from the highest).
        // 288 does not divide 2^32: packet 1 lands on bit (0xffffffff % 288 + 1) % 288 = 256
        // (word 8 bit 0), packets 2..10 on bits 1..9 (0x3fe). 0x1_0000000c: low 12 above top 10
        // infers seq_hi 0, the sender used 1: integrity_failed.
        var text = Run(new(XfrmReplayMode.Esn, 288), string.Join('\n', Enumerable.Range(1, 10)) + "\n0x10000000c\n");
        Assert.EndsWith(
            "accept\ndrop integrity_failed\n" +
            "replay mode esn replay-window 288\n" +
            "stats:\n  replay-window 0 replay 0 failed 1\n" +
            "XfrmInStateSeqError 0\nXfrmInStateProtoError 1\n" +
            "anti-replay esn context:\n" +
            " seq-hi 0x0, seq 0xa, oseq-hi 0x0, oseq 0x0\n" +
            " replay_window 288, bitmap-length 9\n" +
            " 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n" +
            " 000003fe\n", text);
    }

    [Fact]
    public void Initial_state_comes_from_init_seq_and_init_seq_hi()
    {
        var text = Run(new(XfrmReplayMode.Esn, 32, 0xfffffffe, 4), "0x4fffffffe\n0x4ffffffff\n0x500000000\n");
        Assert.Contains(" seq-hi 0x5, seq 0x0, oseq-hi 0x0, oseq 0x0\n", text, StringComparison.Ordinal);
        Assert.StartsWith("accept\naccept\naccept\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_lines_are_all_reported_with_file_line_column_and_nothing_is_printed()
    {
        var w = new StringWriter();
        var ex = Assert.Throws<LabInputException>(() =>
            ReplayReference.Run(new(XfrmReplayMode.Bmp, 64), new StringReader("1\n  x7\n0x100000000\n-1\n"), "seq.txt", w));
        Assert.Equal(3, ex.Problems.Count);
        Assert.StartsWith("seq.txt:2:3: expected a sequence number", ex.Problems[0], StringComparison.Ordinal);
        Assert.Contains("'x7'", ex.Problems[0], StringComparison.Ordinal);
        Assert.StartsWith("seq.txt:3:1: 0x100000000 does not fit 32 bits", ex.Problems[1], StringComparison.Ordinal);
        Assert.StartsWith("seq.txt:4:1:", ex.Problems[2], StringComparison.Ordinal);
        Assert.Equal("", w.ToString());
    }

    [Theory]
    [InlineData("0", 0ul)]
    [InlineData("4294967295", 4294967295ul)]
    [InlineData("0xFFFFFFFFFFFFFFFF", ulong.MaxValue)]
    [InlineData("0x1a", 26ul)]
    public void Numbers_parse_as_decimal_or_hex(string text, ulong value)
    {
        Assert.True(ReplayReference.TryParseNumber(text, out var v));
        Assert.Equal(value, v);
    }

    [Theory]
    [InlineData("+1")]
    [InlineData("1e3")]
    [InlineData("0x")]
    [InlineData("18446744073709551616")]
    [InlineData("0x1_0")]
    public void Other_spellings_are_rejected(string text) => Assert.False(ReplayReference.TryParseNumber(text, out _));

    [Fact]
    public void Option_problems_name_the_flag()
    {
        Assert.Contains(ReplayReference.Validate(new(XfrmReplayMode.Esn, 0)), p => p.Parameter == "window");
        Assert.Contains(ReplayReference.Validate(new(XfrmReplayMode.Bmp, 64, 0, 3)), p => p.Parameter == "init-seq-hi" && p.Render(n => "--" + n) == "--init-seq-hi: only ESN SAs have a seq_hi; use --mode esn (found 3)");
        Assert.Empty(ReplayReference.Validate(new(XfrmReplayMode.Legacy, 4096)));
    }

    [Fact]
    public void Describe_names_the_kernel_and_leaves_the_keys_to_the_path_elements()
    {
        var d = EspModel.Describe();
        Assert.Equal("esp", d.Name);
        Assert.Contains(KernelReference.Version, d.KernelCounterpart, StringComparison.Ordinal);
        // Keys are declared once, on esp_out/esp_in/esp_crypto (Lab.Simulation); lab describe esp lists them from there.
        Assert.Empty(d.Parameters);
    }

    [Fact]
    public void Cost_parameters_carry_the_defaults_the_model_runs_with()
    {
        // EspCosts' defaults: 3100 ns fixed per packet each way, 1.0 cycles/byte at 3.0 GHz, 60 ns lock hold,
        // 120 ns cache-line bounce, 0.6 batchable.
        var outbound = EspCosts.Parameters(outbound: true).ToDictionary(p => p.Key, p => p.DefaultText);
        var inbound = EspCosts.Parameters(outbound: false).ToDictionary(p => p.Key, p => p.DefaultText);
        Assert.Equal("3.1us", outbound["per_packet"]);
        Assert.Equal("3.1us", inbound["per_packet"]);
        Assert.Equal("1", outbound["cycles_per_byte"]);
        Assert.Equal("3", outbound["core_ghz"]);
        Assert.Equal("60ns", outbound["sa_lock_hold"]);
        Assert.Equal("120ns", outbound["cache_line_bounce"]);
        Assert.Equal("0.6", outbound["batchable_share"]);
        Assert.All(EspCosts.Parameters(true), p => Assert.False(string.IsNullOrWhiteSpace(p.Source)));
    }
}
