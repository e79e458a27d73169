namespace Lab.Cli.Tests;

public class PowerCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args) => ScenarioRun.Lab(args);

    [Fact]
    public void Lte_keepalive_every_20s()
    {
        // Worked out in Lab.Radio.Tests.LteEnergyTests: isolated keepalive 12786.979 mJ (promotion
        // 314.903 mJ, transmission 0.151511 mJ, tail 12471.924 mJ); 20 s periods of 12966.6949 mJ:
        // 0.6483347 W; x 24 h = 15.560034 Wh = 103.73% of 15 Wh.
        var (code, output, _) = Run("power", "keepalive", "--radio", "lte", "--interval", "20s", "--battery", "15Wh");
        Assert.Equal(0, code);
        Assert.Contains("isolated keepalive  12.787 J (promotion 0.315 J + transmission 0.000152 J + tail 12.472 J)", output, StringComparison.Ordinal);
        Assert.Contains("radio connected     no:", output, StringComparison.Ordinal);
        Assert.Contains("average radio power 0.6483 W", output, StringComparison.Ordinal);
        Assert.Contains("daily energy        15.560 Wh (103.7% of a 15 Wh battery)", output, StringComparison.Ordinal);
        Assert.Contains("4320 promotions", output, StringComparison.Ordinal);
        Assert.Contains("radio energy only", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_interval_shorter_than_the_tail_keeps_the_radio_connected()
    {
        // Steady state per 10 s: 38.667 us of data (0.1515 mJ), 100 ms at 1288.04 mW (128.804 mJ),
        // 20 ms short DRX (21.82 mJ), then 9.879961333 s of long DRX = 246 cycles + 39.961333 ms:
        // on 247 ms x 1.68 = 414.96, off 9632.961333 ms x 1.06 = 10210.939 -> 10625.899 mJ;
        // period 10776.675 mJ = 1.0777 W (the first period's promotion adds 0.3 J over 24 h).
        var (code, output, _) = Run("power", "keepalive", "--radio", "lte", "--interval", "10s");
        Assert.Equal(0, code);
        Assert.Contains("radio connected     always: interval 10s < transmission + tail 11.576039s", output, StringComparison.Ordinal);
        Assert.Contains("average radio power 1.0777 W", output, StringComparison.Ordinal);
        Assert.Contains("1 promotions", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Size_and_duration_are_honoured()
    {
        // 1 h of 20 s keepalives: 180 promotions; on 3G every keepalive finds the radio idle (20 s > 8.088 + 0.824 s of tails).
        var (code, output, _) = Run("power", "keepalive", "--radio", "3g", "--interval", "20s", "--duration", "1h", "--size", "1500B");
        Assert.Equal(0, code);
        Assert.Contains("1500 B uplink every 20s for 1h", output, StringComparison.Ordinal);
        Assert.Contains("180 promotions", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--radio", "wifi", "--radio: expected lte, 3g or nr, found 'wifi'")]
    [InlineData("--interval", "20", "--interval: expected a duration such as 10ms, 1.2us or 20s, found '20' (the unit is missing)")]
    [InlineData("--battery", "15", "--battery: expected an energy such as 12.6J or 15Wh, found '15' (the unit is missing)")]
    [InlineData("--size", "0B", "--size: expected an IP packet size between 1B and 65535B, found '0B'")]
    public void Bad_input_exits_2_naming_the_flag(string flag, string value, string message)
    {
        var args = new List<string> { "power", "keepalive", "--interval", "20s" };
        int at = args.IndexOf(flag);
        if (at >= 0) args[at + 1] = value;
        else args.AddRange([flag, value]);
        var (code, _, err) = Run([.. args]);
        Assert.Equal(2, code);
        Assert.Equal($"lab: error: {message}", err.Trim());
    }
}
