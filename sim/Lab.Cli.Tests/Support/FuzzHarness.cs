using System.Security.Cryptography;

namespace Lab.Cli.Tests;

/// <summary>One in-process `lab` call as the fuzzer sees it: the exit code, both outputs, what escaped, and what it cost.</summary>
sealed record FuzzOutcome(int? Code, string Out, string Err, Exception? Escaped, bool TimedOut, long AllocatedBytes, TimeSpan Elapsed);

/// <summary>
/// Runs `lab` in process on its own thread (the 8 MiB stack of a real main thread) with a time
/// bound, and states the fuzzer's property: an exit code of 0, 1 or 2, nothing escaping
/// <see cref="LabCommand.Run(string[], TextWriter, TextWriter)"/>, no stack trace in either
/// output, within the time and allocation bounds.
/// </summary>
static class FuzzHarness
{
    public static FuzzOutcome Invoke(string[] args, TimeSpan limit)
    {
        var so = new StringWriter();
        var se = new StringWriter();
        int? code = null;
        Exception? escaped = null;
        long allocated = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                code = LabCommand.Run(args, so, se);
            }
#pragma warning disable CA1031 // the fuzzer's whole point: anything that escapes is recorded as a failure
            catch (Exception e)
#pragma warning restore CA1031
            {
                escaped = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 8 << 20) { IsBackground = true };
        thread.Start();
        bool finished = thread.Join(limit);
        return new FuzzOutcome(code, so.ToString(), se.ToString(), escaped, !finished, allocated, clock.Elapsed);
    }

    public static void AssertClean(FuzzOutcome o, string what, long maxAllocatedBytes)
    {
        Assert.False(o.TimedOut, $"{what}: still running after {o.Elapsed.TotalSeconds:F0} s");
        Assert.True(o.Escaped is null, $"{what}: unhandled {o.Escaped}");
        Assert.True(o.Code is 0 or 1 or 2, $"{what}: exit code {o.Code}\n{o.Err}");
        foreach (var text in new[] { o.Out, o.Err })
        {
            Assert.False(text.Contains("   at ", StringComparison.Ordinal) || text.Contains("Exception:", StringComparison.Ordinal)
                || text.Contains("Stack overflow", StringComparison.Ordinal), $"{what}: a stack trace or exception in the output:\n{text}");
        }
        if (o.Code == 2) Assert.True(o.Err.StartsWith("lab: error: ", StringComparison.Ordinal), $"{what}: exit 2 without an error line:\n{o.Err}");
        Assert.True(o.AllocatedBytes <= maxAllocatedBytes, $"{what}: allocated {o.AllocatedBytes >> 20} MiB (bound {maxAllocatedBytes >> 20} MiB)");
    }

    /// <summary>Every file under <paramref name="dir"/> (relative path, SHA-256 of its bytes) and every folder; empty when it does not exist.</summary>
    public static SortedDictionary<string, string> Snapshot(string dir)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(dir))
        {
            map[""] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(dir)));
            return map;
        }
        if (!Directory.Exists(dir)) return map;
        foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories)) map[Path.GetRelativePath(dir, d) + "/"] = "";
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            map[Path.GetRelativePath(dir, f)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        return map;
    }

    public static void AssertUnchanged(SortedDictionary<string, string> before, SortedDictionary<string, string> after, string what)
    {
        var changed = before.Keys.Union(after.Keys)
            .Where(k => !before.TryGetValue(k, out var b) || !after.TryGetValue(k, out var a) || a != b)
            .ToList();
        Assert.True(changed.Count == 0, $"{what}: changed after a rejected input: {string.Join(", ", changed.Take(10))}");
    }
}
