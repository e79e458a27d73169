using System.Globalization;
using Lab.Core;
using Lab.Experiments.Fuzzing;
using Lab.Experiments.Validation;

namespace Lab.Cli.Commands;

/// <summary>The terminal summary of <c>lab fuzz</c> (the library returns the run as data, <see cref="FuzzSummary"/>).</summary>
public static class FuzzSummaryText
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The terminal summary; returns the exit code (1 when any confirmed disagreement remains).</summary>
    public static int Summarize(TextWriter o, FuzzOptions options, string kernel, FuzzSummary s)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(s);
        o.WriteLine(string.Create(Inv, $"fuzz: seed {options.Seed}, kernel {kernel}"));
        o.WriteLine(string.Create(Inv, $"  cases: {s.Run}{(s.OutOfTime ? $" of {options.Cases} (--time reached)" : "")}"));
        o.WriteLine(string.Create(Inv, $"  agreeing: {s.Agreeing}"));
        o.WriteLine(string.Create(Inv, $"  disagreeing: {s.Disagreeing}"));
        foreach (var f in s.Findings)
        {
            o.WriteLine(string.Create(Inv, $"    {f.Kind}: {f.Cases.Count} case(s), first case {f.Cases[0]}; shrunk from {f.OriginalPackets} to {f.Shrunk.Case.Packets.Count} packet(s) in {f.Attempts} attempts{(f.ShrinkComplete ? "" : " (stopped early)")}"));
            if (f.File is { } file) o.WriteLine($"      kept: {file}");
            else if (f.Shrunk.Outcome.Failure is { } why) o.WriteLine($"      {why}");
            foreach (var line in ScriptComparison.Table(f.Shrunk.Outcome.Checks.Where(c => !c.Agree).Take(8))) o.WriteLine("    " + line);
            var drops = ScriptComparison.DropTable(f.Shrunk.Outcome.Checks).ToList();
            if (drops.Count > 0)
            {
                o.WriteLine("      who is dropping the packets:");
                foreach (var line in drops) o.WriteLine("    " + line);
            }
            else if (f.Shrunk.Outcome.Run?.DropReasonsUnavailable is { } why) o.WriteLine("      kernel drop reasons not read: " + why);
        }
        var (agree, differ, unattributed, without) = s.DropReasons;
        o.WriteLine(string.Create(Inv, $"  drop reasons: {agree + differ + unattributed} kernel drops beside the model's cause: {agree} agree, {differ} differ, {unattributed} unattributed (no event of the packet's own in the trace){(without > 0 ? $"; {without} play(s) without drop reasons" : "")}"));
        if (s.Unconfirmed.Count > 0)
            o.WriteLine(string.Create(Inv, $"  unconfirmed: {s.Unconfirmed.Count} case(s) disagreed in a late play and agreed when played again on time, or were never played on time in {FuzzRun.Replays + 1} plays (a busy host; largest replay lateness {s.MaxLateNanoseconds / 1e6:0.#} ms)"));
        o.WriteLine(s.Findings.Count == 0 ? "result: no disagreement" : string.Create(Inv, $"DISAGREE: {s.Disagreeing} case(s) in {s.Findings.Count} kind(s)"));
        return s.Findings.Count == 0 ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }
}
