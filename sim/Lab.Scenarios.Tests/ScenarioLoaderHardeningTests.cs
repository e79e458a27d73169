using Lab.Core;

namespace Lab.Scenarios.Tests;

/// <summary>Issue 16, items 3, 8, 14 and 15 at the loader: what `lab check` must refuse, with a position.</summary>
public sealed class ScenarioLoaderHardeningTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-load-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    const string Good = """
        name: t
        run: { duration: 10ms }
        traffic:
          - { name: bulk, kind: cbr, rate: 1Gbit/s }
        path:
          - link: { rate: 10Gbit/s }
        """;

    string Write(string name, string text)
    {
        string f = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(f)!);
        File.WriteAllText(f, text);
        return f;
    }

    static IReadOnlyList<string> Problems(Action load) => Assert.Throws<LabInputException>(load).Problems;

    LoadedScenario LoadText(string yaml, params string[] sets) => new ScenarioLoader().LoadText(yaml, "s.yaml", sets);

    // ---- extends (item 3)

    const string ShadowLine = "root:*:20228:0:99999:7:::";

    [Fact]
    public void Extends_into_a_non_yaml_file_is_refused_without_reading_it()
    {
        Write("etc/shadow", ShadowLine + "\ndaemon:*:20228:0:99999:7:::\n");
        string f = Write("s/a.yaml", "name: x\nextends: ../etc/shadow\n");
        var p = Problems(() => new ScenarioLoader().Load(f));
        Assert.Equal([$"{f}:2:10: extends: expected a YAML scenario file (.yaml or .yml), found 'shadow'"], p);
    }

    [Fact]
    public void Extends_through_a_yaml_named_link_to_a_non_yaml_file_is_refused()
    {
        string secret = Write("etc/shadow", ShadowLine + "\n");
        string f = Write("s/a.yaml", "name: x\nextends: base.yaml\n");
        File.CreateSymbolicLink(Path.Combine(_dir, "s/base.yaml"), secret);
        var p = Problems(() => new ScenarioLoader().Load(f));
        Assert.Equal([$"{f}:2:10: extends: expected a YAML scenario file, found 'base.yaml', a link to a file that is not .yaml or .yml"], p);
    }

    [Theory]
    [InlineData(ShadowLine + "\ndaemon:*:1:0:99999:7:::\n", "1:1")]  // a mapping of unknown keys
    [InlineData("hunter2\n", "1:1")]                              // one value
    [InlineData("name: a\npassword: hunter2\n", "2:1")]           // a top-level key that no scenario has
    [InlineData("hunter2: 1\nhunter2: 2\n", "2:1")]               // a duplicate key
    [InlineData("a: *hunter2\n", "1:4")]                          // an alias without its anchor
    public void A_yaml_base_that_is_not_a_scenario_is_refused_without_quoting_it(string content, string at)
    {
        string b = Write("secrets.yaml", content);
        string f = Write("a.yaml", "name: x\nextends: secrets.yaml\n");
        var p = Problems(() => new ScenarioLoader().Load(f));
        Assert.Single(p);
        Assert.StartsWith($"{b}:{at}: ", p[0], StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", p[0], StringComparison.Ordinal);
        Assert.DoesNotContain("root", p[0], StringComparison.Ordinal);
        Assert.DoesNotContain("daemon", p[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Extends_may_leave_the_scenario_folder_for_a_yaml_scenario()
    {
        Write("common/base.yaml", Good);
        string f = Write("s/a.yaml", "extends: ../common/base.yaml\nname: derived\n");
        var s = new ScenarioLoader().Load(f).First;
        Assert.Equal("derived", s.Name);
        Assert.Equal(10 * SimTime.Millisecond, s.Run.Duration);
    }

    [Fact]
    public void An_extends_cycle_names_where_it_closes()
    {
        string a = Write("a.yaml", "extends: b.yaml\nname: a\n");
        string b = Write("b.yaml", "extends: a.yaml\n");
        var p = Problems(() => new ScenarioLoader().Load(a));
        Assert.Equal([$"{b}:1:10: extends: expected a base that does not lead back here, found a cycle: a.yaml -> b.yaml -> a.yaml"], p);
    }

    [Fact]
    public void A_chain_of_bases_deeper_than_the_limit_is_refused()
    {
        // s0 extends s1 ... s17: the 17th extends (in s16) passes 16 levels.
        for (int i = 0; i < 18; i++) Write($"s{i}.yaml", i < 17 ? $"extends: s{i + 1}.yaml\n" : Good);
        var p = Problems(() => new ScenarioLoader().Load(Path.Combine(_dir, "s0.yaml")));
        Assert.Equal([$"{Path.Combine(_dir, "s16.yaml")}:1:10: extends: expected at most 16 levels of bases, found more"], p);
    }

    // ---- time series estimated before running (item 8)

    [Fact]
    public void A_picosecond_time_series_is_refused_with_the_estimate_and_the_limit()
    {
        // 10 ms / 1 ps = 10^10 samples per replication, x 3; the smallest interval for 10^6 is 30 ms / 10^6 = 30 ns.
        var p = Problems(() => LoadText(Good.Replace("duration: 10ms", "duration: 10ms, replications: 3", StringComparison.Ordinal) + "\noutputs: { timeseries: 1ps }\n"));
        Assert.Equal(["s.yaml:7:24: outputs.timeseries: expected at most 1000000 time-series samples per run, found an estimate of 30000000000 " +
            "(run.duration 10ms / 1ps = 10000000000 per replication x 3 replication(s)); use an interval of at least 30ns, or 0s to turn the time series off"], p);
    }

    [Fact]
    public void A_time_series_of_exactly_the_limit_is_accepted()
    {
        // 10 ms / 10 ns = 10^6 samples.
        var s = LoadText(Good + "\noutputs: { timeseries: 10ns }\n").First;
        Assert.Equal(10_000, s.Outputs.TimeSeriesInterval);
        Assert.Single(Problems(() => LoadText(Good + "\noutputs: { timeseries: 9ns }\n")));
    }

    // ---- item 14

    [Fact]
    public void Stop_before_start_is_refused()
    {
        var p = Problems(() => LoadText(Good.Replace("rate: 1Gbit/s", "rate: 1Gbit/s, start: 5ms, stop: 2ms", StringComparison.Ordinal)));
        Assert.Equal(["s.yaml:4:63: traffic[0].stop: expected a time after start (5ms), found 2ms"], p);
    }

    [Fact]
    public void Stop_equal_to_start_is_refused_and_stop_after_start_accepted()
    {
        Assert.Single(Problems(() => LoadText(Good.Replace("rate: 1Gbit/s", "rate: 1Gbit/s, start: 2ms, stop: 2ms", StringComparison.Ordinal))));
        var s = LoadText(Good.Replace("rate: 1Gbit/s", "rate: 1Gbit/s, start: 2ms, stop: 3ms", StringComparison.Ordinal)).First;
        Assert.Equal(3 * SimTime.Millisecond, s.Traffic[0].Spec.Stop);
    }

    [Fact]
    public void Two_path_elements_with_one_name_are_refused()
    {
        var p = Problems(() => LoadText(Good.Replace("  - link: { rate: 10Gbit/s }", "  - link: { name: x, rate: 10Gbit/s }\n  - stage: { name: x, cost: 1us }", StringComparison.Ordinal)));
        Assert.Equal(["s.yaml:7:5: path[1]: expected a unique element name, found 'x' again (path[0] at line 6, column 5); set a different name: on one of them"], p);
    }

    [Fact]
    public void Two_unnamed_rss_elements_share_the_default_name_and_are_refused()
    {
        var p = Problems(() => LoadText(Good.Replace("  - link: { rate: 10Gbit/s }", "  - rss: {}\n  - rss: {}", StringComparison.Ordinal)));
        Assert.Equal(["s.yaml:7:5: path[1]: expected a unique element name, found 'cpu' again (path[0] at line 6, column 5); set a different name: on one of them"], p);
    }

    const string Sweep = "\nsweep:\n  grid: { traffic.bulk.rate: [1Gbit/s, 2Gbit/s] }\n  exclude:\n";

    [Fact]
    public void An_unknown_key_in_sweep_exclude_is_refused_with_a_hint()
    {
        var p = Problems(() => LoadText(Good + Sweep + "    - { traffic.bulk.rat: 1Gbit/s }\n"));
        Assert.Equal(["s.yaml:10:9: sweep.exclude: unknown parameter 'traffic.bulk.rat': expected one of the swept parameters (traffic.bulk.rate) (did you mean 'traffic.bulk.rate'?)"], p);
    }

    [Fact]
    public void A_sweep_exclude_value_that_is_not_swept_is_refused()
    {
        var p = Problems(() => LoadText(Good + Sweep + "    - { traffic.bulk.rate: 3Gbit/s }\n"));
        Assert.Equal(["s.yaml:10:28: sweep.exclude.traffic.bulk.rate: expected one of the swept values (1Gbit/s, 2Gbit/s), found '3Gbit/s'"], p);
    }

    [Fact]
    public void A_sweep_exclude_that_leaves_no_point_is_refused()
    {
        var p = Problems(() => LoadText(Good + Sweep + "    - { traffic.bulk.rate: 1Gbit/s }\n    - { traffic.bulk.rate: 2Gbit/s }\n"));
        Assert.Equal(["s.yaml:8:3: sweep: expected at least one point, found every point excluded by sweep.exclude"], p);
        Assert.Equal(["s.yaml:10:7: sweep.exclude: expected a mapping of parameter: value, found an empty mapping (it would exclude every point)"],
            Problems(() => LoadText(Good + Sweep + "    - {}\n")));
    }

    [Fact]
    public void A_sweep_of_more_points_than_the_limit_is_refused_before_expanding()
    {
        // Six lists of ten values: 10^6 points, above 100,000.
        string lists = string.Join("", Enumerable.Range(0, 6).Select(i => $"  p{i}.x: [{string.Join(", ", Enumerable.Range(0, 10))}]\n"));
        var p = Problems(() => LoadText(Good + "\nsweep:\n" + lists));
        Assert.Equal(["s.yaml:8:3: sweep: expected at most 100000 points, found 1000000 (6 swept parameters); split it into several sweeps"], p);
    }

    [Fact]
    public void A_name_with_invalid_utf8_is_refused()
    {
        string f = Path.Combine(_dir, "u.yaml");
        File.WriteAllBytes(f, [.. "name: t"u8, 0xC3, 0x28, .. "\n"u8]);
        Assert.Equal([$"{f}:1:8: expected UTF-8 text, found the byte 0xc3, which is not valid UTF-8 here"], Problems(() => new ScenarioLoader().Load(f)));
    }

    [Fact]
    public void A_pcap_file_that_is_too_short_or_a_pipe_is_refused_without_opening_it()
    {
        Write("short.pcap", "name: t");
        string f = Write("p.yaml", "name: t\ntraffic: [{ name: c, kind: pcap, file: short.pcap }]\npath: [{ link: { rate: 1Gbit/s } }]\n");
        Assert.Equal([$"{f}:2:40: traffic[0].file: expected a pcap file (a 24-byte header, then records), found 'short.pcap' shorter than that or not a regular file"],
            Problems(() => new ScenarioLoader().Load(f)));
    }

    [Fact]
    public void The_capture_check_is_asked_about_an_existing_pcap_file()
    {
        Write("c.pcap", new string('x', 40));
        string f = Write("p.yaml", "name: t\ntraffic: [{ name: c, kind: pcap, file: c.pcap }]\npath: [{ link: { rate: 1Gbit/s } }]\n");
        var loader = new ScenarioLoader(checkCapture: path => path.EndsWith("c.pcap", StringComparison.Ordinal) ? "offset 0: not a pcap" : null);
        Assert.Equal([$"{f}:2:40: traffic[0].file: 'c.pcap' is not a usable pcap: offset 0: not a pcap"], Problems(() => loader.Load(f)));
    }

    // ---- item 15 and other bounds

    [Fact]
    public void A_flag_override_names_the_flag()
    {
        string f = Write("s.yaml", Good);
        var p = Problems(() => new ScenarioLoader().Load(f, [], [new ParameterOverride("--replications 1000000000", "run.replications", "1000000000")]));
        Assert.Equal(["--replications 1000000000: run.replications: expected an integer from 1 to 10000, found 1000000000"], p);
    }

    [Fact]
    public void A_parameter_path_deeper_than_the_limit_is_refused()
    {
        string path = "run." + string.Join(".", Enumerable.Repeat("a", 20));
        var p = Problems(() => LoadText(Good, path + "=1"));
        Assert.Equal([$"set {path}=1: expected a parameter path of at most 16 parts such as traffic.bulk.rate, found 21 parts"], p);
    }

    [Fact]
    public void Past_a_hundred_problems_the_rest_are_counted()
    {
        string keys = string.Join("", Enumerable.Range(0, 250).Select(i => $"  k{i}: 1\n"));
        var p = Problems(() => LoadText(Good.Replace("run: { duration: 10ms }", "run:\n" + keys.TrimEnd('\n'), StringComparison.Ordinal)));
        Assert.Equal(101, p.Count);
        Assert.Equal("s.yaml:3:3: unknown key 'k0' in run; expected one of: duration, warmup, seed, replications", p[0]);
        Assert.Equal("150 more problem(s) not listed; fix the ones above first", p[100]);
    }
}
