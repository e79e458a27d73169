using Lab.Core;

namespace Lab.Engine.Tests;

public class SimTimeTests
{
    [Theory]
    [InlineData("10ms", 10_000_000_000L)]
    [InlineData("1.2us", 1_200_000L)]
    [InlineData("1.2µs", 1_200_000L)]
    [InlineData("20s", 20_000_000_000_000L)]
    [InlineData("24h", 86_400_000_000_000_000L)]
    [InlineData("1.68ns", 1_680L)]
    [InlineData("5ps", 5L)]
    public void Parses_durations_to_picoseconds(string text, long ps) => Assert.Equal(ps, SimTime.Parse(text));

    [Theory]
    [InlineData("10", "the unit is missing")]
    [InlineData("10 parsecs", "unknown unit 'parsecs'")]
    [InlineData("fast", "expected a duration")]
    [InlineData("0.5ps", "finer than the smallest unit")]
    public void Rejects_bad_durations_with_the_reason(string text, string reason)
    {
        Assert.False(SimTime.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
        Assert.Contains($"'{text}'", error);
    }

    [Theory]
    [InlineData(10_000_000_000L, "10ms")]
    [InlineData(1_200_000L, "1.2us")]
    [InlineData(1_680L, "1.68ns")]
    [InlineData(3_600_000_000_000_000L, "1h")]
    public void Formats_with_a_readable_unit(long ps, string text) => Assert.Equal(text, SimTime.Format(ps));

    [Theory]
    [InlineData("10Gbit/s", 10e9)]
    [InlineData("400Mbit/s", 400e6)]
    [InlineData("1.5Gbps", 1.5e9)]
    public void Parses_bit_rates(string text, double bps) => Assert.Equal(bps, Units.ParseBitRate(text));

    [Theory]
    [InlineData("64B", 64L)]
    [InlineData("10MiB", 10L * 1024 * 1024)]
    [InlineData("1.5kB", 1500L)]
    public void Parses_sizes(string text, long bytes) => Assert.Equal(bytes, Units.ParseBytes(text));

    [Fact]
    public void Parses_power_and_energy()
    {
        Assert.Equal(1210.7, Units.ParsePower("1210.7mW"), 9);
        Assert.Equal(1200, Units.ParsePower("1.2W"), 9);
        Assert.Equal(54_000_000, Units.ParseEnergy("15Wh"), 6);
    }

    // Found by the scenario fuzzer: a number near decimal's range times its unit overflowed
    // decimal itself (an OverflowException, not a message).
    [Theory]
    [InlineData("9223372036854775807d")]
    [InlineData("79228162514264337593543950335h")]
    [InlineData("-79228162514264337593543950335s")]
    public void A_duration_beyond_decimal_range_is_out_of_range_not_an_exception(string text)
    {
        Assert.False(SimTime.TryParse(text, out _, out string error));
        Assert.Equal($"expected a duration such as 10ms, 1.2us or 20s, found '{text}' (out of range)", error);
        Assert.False(Units.TryParseBytes("79228162514264337593543950335GiB", out _, out _));
    }

    [Fact]
    public void A_rate_beyond_decimal_range_is_computed_in_double()
    {
        // 79228162514264337593543950335 x 10^12 = 7.9228162514264337593543950335e40.
        Assert.Equal(7.9228162514264337593543950335e40, Units.ParseBitRate("79228162514264337593543950335Tbit/s"), 1e26);
        Assert.Equal(10e9, Units.ParseBitRate("10Gbit/s"));
    }
}
