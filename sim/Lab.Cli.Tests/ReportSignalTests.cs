using System.Diagnostics;
using System.Security.Cryptography;

namespace Lab.Cli.Tests;

/// <summary>
/// Issue 16: Ctrl-C during a real `lab report` ends it with 130 and leaves no half-written report:
/// the files are rendered into a hidden folder beside --out and published only at the end, so the
/// signal, sent while that folder exists, leaves --out as it was (absent, or the earlier report
/// byte for byte) and no hidden folder behind.
/// </summary>
[Collection(SweepProcessCollection.Name)]
public sealed class ReportSignalTests : IDisposable
{
    const int SIGINT = 2;

    readonly string _dir = Directory.CreateTempSubdirectory("lab-report-signal-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static string Fixture(string name) =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../../reports/Lab.Reports.Tests/Fixtures", name));

    string Out => Path.Combine(_dir, "out");

    /// <summary>The hidden staging folders beside --out (OutputFolder: .out.tmp-PID-R).</summary>
    List<string> Staging() => [.. Directory.GetDirectories(_dir, ".out.*").Select(d => Path.GetFileName(d)!)];

    static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))), StringComparer.Ordinal);

    async Task<(int Code, string Err)> InterruptWhileRendering(params string[] args)
    {
        using var p = Process.Start(LabProcess.Info(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (Staging().Count == 0)
        {
            if (p.HasExited) Assert.Fail($"lab report ended ({p.ExitCode}) before it began rendering: {await stderr}");
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) Assert.Fail("no staging folder after 2 minutes");
            Thread.Sleep(5);
        }
        using (var kill = Process.Start("kill", [$"-{SIGINT}", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2))) await p.WaitForExitAsync(timeout.Token);
        await stdout;
        return (p.ExitCode, await stderr);
    }

    [Fact]
    public async Task Ctrl_C_while_rendering_a_new_report_leaves_no_folder()
    {
        var (code, err) = await InterruptWhileRendering("report", Fixture("sweep-2d"), "--out", Out);
        Assert.True(code == 130, $"exit {code}: {err}");
        Assert.Equal(LabCommand.InterruptedMessage + "\n", err);
        Assert.False(Directory.Exists(Out));
        Assert.Empty(Staging());
    }

    [Fact]
    public async Task Ctrl_C_while_rendering_over_an_earlier_report_leaves_it_byte_for_byte()
    {
        var (code0, _, err0) = ScenarioRun.Lab("report", Fixture("sweep-1d"), "--out", Out);
        Assert.True(code0 == 0, err0);
        var before = Snapshot(Out);
        var (code, err) = await InterruptWhileRendering("report", Fixture("sweep-2d"), "--out", Out);
        Assert.True(code == 130, $"exit {code}: {err}");
        Assert.Equal(before, Snapshot(Out));
        Assert.Empty(Staging());
    }
}
