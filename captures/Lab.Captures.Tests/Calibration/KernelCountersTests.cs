using Lab.KernelLab.Calibration;

namespace Lab.Captures.Tests.Calibration;

/// <summary>The kernel's own counters the meter reads beside /proc/stat: softnet_stat and the ksoftirqd threads' CPU time.</summary>
public sealed class KernelCountersTests
{
    // Two rows as 6.18 prints them (softnet_seq_show): processed, dropped, time_squeeze, 0 x6, received_rps,
    // flow_limit_count, backlog length, CPU index, input_qlen, process_qlen.
    const string Before =
        "0196cf09 00000000 00000004 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n" +
        "5840a377 00000000 0000000d 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001 00000000 00000000\n";

    [Fact]
    public void Softnet_rows_are_hexadecimal_and_carry_their_cpu()
    {
        var s = SoftnetStat.Parse(Before);
        Assert.Equal(2, s.Cpus.Count);
        // 0x0196cf09 = 26,660,617; 0x5840a377 = 1,480,631,159; 0xd = 13.
        Assert.Equal(new SoftnetCpu(0, 26_660_617, 0, 4), s.Cpus[0]);
        Assert.Equal(new SoftnetCpu(1, 1_480_631_159, 0, 13), s.Cpus[1]);
    }

    [Fact]
    public void Softnet_differences_match_rows_by_cpu_index_not_position()
    {
        var before = SoftnetStat.Parse(Before);
        // CPU 0 offline later: only CPU 1's row is left, first in the file. 0x5840a377 + 0x186a0 (100,000) = 0x58422a17.
        var after = SoftnetStat.Parse(
            "58422a17 000003e8 00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001 00000000 00000000\n");
        var d = after.Since(before);
        Assert.Equal([new SoftnetCpu(1, 100_000, 1000, 3)], d);
    }

    [Fact]
    public void An_old_softnet_file_without_the_cpu_column_numbers_rows_by_position()
    {
        var s = SoftnetStat.Parse("0000000a 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n" +
                                  "00000014 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n");
        Assert.Equal([new SoftnetCpu(0, 10, 1, 2), new SoftnetCpu(1, 20, 0, 0)], s.Cpus);
    }

    [Fact]
    public void A_softnet_line_that_is_not_hexadecimal_is_named()
    {
        var e = Assert.Throws<FormatException>(() => SoftnetStat.Parse("0000000a 0000000g 00000000\n"));
        Assert.Equal("/proc/net/softnet_stat:1: column 2: expected a hexadecimal count, found '0000000g'", e.Message);
    }

    [Fact]
    public void Ksoftirqd_time_is_utime_plus_stime_of_its_stat_line()
    {
        // A line of this machine with utime (field 14) set to 7 beside its stime (field 15) 1338: 7 + 1338 = 1345.
        Assert.Equal((1, 1345L), Ksoftirqd.Parse("24 (ksoftirqd/1) S 2 0 0 0 -1 69238848 0 0 0 0 7 1338 0 0 20 0 1 0 19 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0"));
        Assert.Null(Ksoftirqd.Parse("25 (kworker/1:0) S 2 0 0 0 -1 69238848 0 0 0 0 7 1338 0 0 20 0 1 0 19"));
        // A comm with spaces and parentheses: the last ')' ends it.
        Assert.Null(Ksoftirqd.Parse("26 (ksoftirqd/x (y)) S 2 0 0 0 -1 1 0 0 0 0 7 1338"));
    }
}
