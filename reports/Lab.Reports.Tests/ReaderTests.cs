using Lab.Results;
using Lab.Core;
using Lab.Reports.Reading;

namespace Lab.Reports.Tests;

public class ReaderTests
{
    [Fact]
    public void Reads_a_single_run_with_time_series_and_latency_cdf()
    {
        var r = ResultsReader.Read(TestPaths.Fixture("single-run"));
        Assert.Equal("esp-gateway", r.Name);
        Assert.Equal(64, r.Summary.Scenario.Hash.Length);
        Assert.Equal(new RunControl(1.0, 0.2, 7, 3), r.Summary.Run);
        Assert.Empty(r.Summary.SweepParameters);
        var point = Assert.Single(r.Summary.Points);
        Assert.Empty(point.Parameters);
        var delivered = point.Metrics["delivered_pps"];
        // Replications 799200, 799300, 799100: mean 799200, sample stddev 100.
        Assert.Equal("pps", delivered.Unit);
        Assert.Equal(799200, delivered.Mean);
        Assert.Equal(100, delivered.Stats.StdDev, 9);
        Assert.Equal([799200.0, 799300.0, 799100.0], delivered.Values);
        // Metrics are sorted ordinally: "core0..." < "delivered_pps" < "drop.X..." < "drop.q..." (uppercase before lowercase).
        Assert.Equal(["core0.utilization", "delivered_pps", "drop.XfrmInStateSeqError", "drop.qdisc_drop"], point.Metrics.Keys.Take(4));
        // 16 metrics x 3 replications; 10 samples x 3; 102 quantiles (0.001, 0.01..0.99, 0.999, 1) x 3.
        Assert.Equal(48, r.Metrics.Rows.Count);
        Assert.Equal(30, r.TimeSeries.Rows.Count);
        Assert.Equal(["delivered_pps", "wire_bps", "goodput_bps", "queue_depth", "drops"], r.TimeSeries.Series);
        Assert.True(r.TimeSeries.Rows[1].Warmup);
        Assert.False(r.TimeSeries.Rows[2].Warmup);
        Assert.Equal(306, r.LatencyCdf.Count);
        Assert.Equal(new CdfPoint(0, 0, 0.001, 2.0164), r.LatencyCdf[0]);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 20, 0, 0, TimeSpan.Zero), r.Provenance.RunDate);
        Assert.Equal("2026-11-26T20:00:00Z", r.Provenance.RunDateText);
        Assert.Equal("40d42c0", r.Provenance.Commit);
        Assert.StartsWith("name: esp-gateway", r.ScenarioYaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_sweep_parameters_in_sweep_order_and_validation_rows()
    {
        var sweep = ResultsReader.Read(TestPaths.Fixture("sweep-2d"));
        Assert.Equal(["esp.replay_window", "cellular.reorder_probability"], sweep.Summary.SweepParameters);
        Assert.Equal(9, sweep.Summary.Points.Count);
        Assert.Equal("esp.replay_window=64, cellular.reorder_probability=0.05", sweep.Summary.Points[4].Key);
        Assert.Equal(["64", "0.05"], sweep.Metrics.Rows.First(m => m.Point == 4).Parameters);

        var validation = ResultsReader.Read(TestPaths.Fixture("validation"));
        Assert.Equal(5, validation.Validation.Count);
        Assert.Equal(new ValidationRow("window-64", "XfrmInStateSeqError", 187, 189, false), validation.Validation[3]);
    }

    static string ErrorOf(Action read) => Assert.Throws<LabInputException>(read).Message;

    [Fact]
    public void Malformed_json_names_file_line_and_column()
    {
        // Line 3 is '  "scenario": {' with the comma after "format": 1 removed, so the parser
        // stops at the quote that opens "scenario" (column 3).
        string json = "{\n  \"format\": 1\n  \"scenario\": {}\n}\n";
        string message = ErrorOf(() => ResultsReader.ReadSummary("summary.json", System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.StartsWith("summary.json:3:3: malformed JSON", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_where_it_is()
    {
        string json = "{\n  \"format\": 1,\n  \"scenario\": { \"name\": \"x\", \"hash\": \"h\" },\n  \"run\": { \"duration_s\": \"1s\", \"seed\": 1, \"replications\": 1 },\n  \"points\": []\n}\n";
        string message = ErrorOf(() => ResultsReader.ReadSummary("summary.json", System.Text.Encoding.UTF8.GetBytes(json)));
        // Line 4 is '  "run": { "duration_s": "1s"': 2 spaces, "run" (5), ':', ' ', '{', ' ' reach
        // column 11; "duration_s" is columns 12-23, ':' 24, ' ' 25, so "1s" opens at column 26.
        Assert.Equal("summary.json:4:26: expected the duration in seconds as a number, found the string \"1s\"", message);
    }

    [Fact]
    public void A_run_date_not_in_the_written_format_is_refused_at_its_position()
    {
        // The value starts at column 15: '{', ' ', then "run_date" (10 characters with quotes), ':', ' '.
        string json = "{ \"run_date\": \"yesterday\", \"lab_version\": \"0.1.0\", \"commit\": \"abc\" }";
        Assert.Equal("provenance.json:1:15: expected the run date as yyyy-MM-ddTHH:mm:ssZ (UTC), found 'yesterday'",
            ErrorOf(() => ResultsReader.ReadProvenance("provenance.json", System.Text.Encoding.UTF8.GetBytes(json))));
    }

    [Fact]
    public void Provenance_reads_back_what_Lab_Results_writes()
    {
        var written = new Provenance(new DateTimeOffset(2026, 12, 6, 10, 0, 5, TimeSpan.Zero), "0.1.0", "abc1234", "host", "lab run x.yaml") { Costs = ["costs: assumed"] };
        var read = ResultsReader.ReadProvenance("provenance.json", System.Text.Encoding.UTF8.GetBytes(ResultsWriter.ProvenanceJson(written)));
        Assert.Equal(written.RunDate, read.RunDate);
        Assert.Equal(written with { Costs = [] }, read with { Costs = [] });
        Assert.Equal(written.Costs, read.Costs);
    }

    [Fact]
    public void An_unsupported_format_version_is_refused()
    {
        string json = "{ \"format\": 2 }";
        Assert.Equal("summary.json:1:13: expected format 1, found 2 (this lab reads format 1 only)",
            ErrorOf(() => ResultsReader.ReadSummary("summary.json", System.Text.Encoding.UTF8.GetBytes(json))));
    }

    [Fact]
    public void A_missing_key_names_the_object()
    {
        string json = "{\n  \"format\": 1,\n  \"scenario\": { \"name\": \"x\" }\n}";
        Assert.Equal("summary.json:3:15: \"scenario\" has no \"hash\"",
            ErrorOf(() => ResultsReader.ReadSummary("summary.json", System.Text.Encoding.UTF8.GetBytes(json))));
    }

    static ResultsSummary SingleRunSummary() => ResultsReader.Read(TestPaths.Fixture("single-run")).Summary;

    [Fact]
    public void A_bad_number_in_a_csv_names_line_and_column()
    {
        string csv = "point,replication,metric,unit,value\n0,0,delivered_pps,pps,799200\n0,1,delivered_pps,pps,7992OO\n";
        // '0,1,delivered_pps,pps,7992OO': "0,1," is columns 1-4, delivered_pps 5-17, ',' 18,
        // pps 19-21, ',' 22: the value starts at column 23.
        Assert.Equal("metrics.csv:3:23: expected a number in column 'value', found '7992OO'",
            ErrorOf(() => ResultsReader.ReadMetrics("metrics.csv", csv, SingleRunSummary())));
    }

    [Fact]
    public void A_wrong_header_names_the_column()
    {
        string csv = "point,replication,time_s,delivered_pps\n";
        Assert.Equal("latency_cdf.csv:1:19: expected column 'quantile' in the header, found 'time_s'",
            ErrorOf(() => ResultsReader.ReadLatencyCdf("latency_cdf.csv", csv, SingleRunSummary())));
    }

    [Fact]
    public void A_short_row_and_an_unknown_point_are_refused()
    {
        string shortRow = "point,replication,quantile,latency_us\n0,0,0.5\n";
        Assert.Equal("latency_cdf.csv:2:8: expected 4 fields as in the header, found 3 (missing 'latency_us')",
            ErrorOf(() => ResultsReader.ReadLatencyCdf("latency_cdf.csv", shortRow, SingleRunSummary())));
        string unknownPoint = "point,replication,quantile,latency_us\n0,0,0.5,10\n1,0,0.5,10\n";
        Assert.Equal("latency_cdf.csv:3:1: expected a point index below 1 (the points in summary.json), found 1",
            ErrorOf(() => ResultsReader.ReadLatencyCdf("latency_cdf.csv", unknownPoint, SingleRunSummary())));
        string badReplication = "point,replication,quantile,latency_us\n0,3,0.5,10\n";
        Assert.Equal("latency_cdf.csv:2:3: expected a replication index below 3 (run.replications in summary.json), found 3",
            ErrorOf(() => ResultsReader.ReadLatencyCdf("latency_cdf.csv", badReplication, SingleRunSummary())));
    }

    [Fact]
    public void Quoted_csv_fields_keep_commas_and_quotes()
    {
        string csv = "check,metric,simulated,kernel,agree\n\"window, 32\",\"say \"\"hi\"\"\",1,1,true\n";
        var row = Assert.Single(ResultsReader.ReadValidation("validation.csv", csv));
        Assert.Equal("window, 32", row.Check);
        Assert.Equal("say \"hi\"", row.Metric);
        Assert.Equal("validation.csv:2:1: a quoted field has no closing quote",
            ErrorOf(() => ResultsReader.ReadValidation("validation.csv", "check,metric,simulated,kernel,agree\n\"open,x,1,1,true\n")));
        // 'w,XfrmIn,1,1,yes': w (1), ',' (2), XfrmIn (3-8), ',1,1,' (9-13), yes from column 14.
        Assert.Equal("validation.csv:2:14: expected true or false in column 'agree', found 'yes'",
            ErrorOf(() => ResultsReader.ReadValidation("validation.csv", "check,metric,simulated,kernel,agree\nw,XfrmIn,1,1,yes\n")));
    }

    [Fact]
    public void Metrics_csv_must_agree_with_the_summary_parameters()
    {
        var summary = ResultsReader.Read(TestPaths.Fixture("sweep-1d")).Summary;
        string csv = "point,traffic.bulk.rate,replication,metric,unit,value\n1,2Gbit/s,0,delivered_pps,pps,1\n";
        Assert.Equal("metrics.csv:2:3: expected '4Gbit/s' for traffic.bulk.rate at point 1 (as in summary.json), found '2Gbit/s'",
            ErrorOf(() => ResultsReader.ReadMetrics("metrics.csv", csv, summary)));
    }

    [Fact]
    public void A_folder_without_summary_is_refused()
    {
        string dir = TestPaths.Scratch("empty-results");
        Assert.Equal($"{dir}: expected a results folder with summary.json, found none", ErrorOf(() => ResultsReader.Read(dir)));
    }
}
