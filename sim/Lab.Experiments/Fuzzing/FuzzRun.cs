using System.Diagnostics;
using System.Globalization;
using Lab.Core;
using Lab.Experiments.Validation;

namespace Lab.Experiments.Fuzzing;

/// <summary>The options of <c>lab fuzz</c>.</summary>
/// <param name="Cases">Cases to generate and run.</param>
/// <param name="Seed">The seed: case i of seed S is the same everywhere.</param>
/// <param name="Budget">Wall time after which no new case starts and shrinking stops (null: none).</param>
/// <param name="OutDir">Where shrunk disagreements are written (scenarios/fuzz).</param>
/// <param name="MaxShrinkAttempts">Candidate cases the shrinker tries per disagreement kind.</param>
/// <param name="Origin">How the run is repeated, as the front end words it (written into every kept case); null: neutral text.</param>
/// <param name="CompareHint">How a user compares a kept case (file name, live kernel) with its recording and the live kernel, as the front end words it; null: neutral text.</param>
/// <param name="Words">How the front end names the fuzz command in the kept files' descriptions; null: the library's names.</param>
public sealed record FuzzOptions(int Cases, long Seed, TimeSpan? Budget, string OutDir, int MaxShrinkAttempts = 200,
    string? Origin = null, Func<string, string, string>? CompareHint = null, Wording? Words = null);

/// <summary>A disagreement kind after the run: how many cases showed it first, and the shrunk case kept for it.</summary>
public sealed record FuzzFinding(string Kind, IReadOnlyList<int> Cases, FuzzCaseResult Shrunk, int Attempts, bool ShrinkComplete, int OriginalPackets, string? File);

/// <summary>What <c>lab fuzz</c> did.</summary>
/// <param name="Unconfirmed">Cases that disagreed once and agreed when played again (a timing effect of a busy host), by index.</param>
public sealed record FuzzSummary(int Run, int Agreeing, IReadOnlyList<int> Unconfirmed, IReadOnlyList<FuzzFinding> Findings, bool OutOfTime, long MaxLateNanoseconds)
{
    public int Disagreeing => Findings.Sum(f => f.Cases.Count);

    /// <summary>Over every case's last play: packets the kernel dropped, compared with its skb drop reason (paired and agreeing, paired and differing, unattributed), and plays without drop reasons.</summary>
    public (int Agree, int Differ, int Unattributed, int PlaysWithout) DropReasons { get; init; }
}

/// <summary>
/// <c>lab fuzz</c> (issue 18, item 5): generates cases from <see cref="FuzzGrammar"/>, runs each in the
/// model and the kernel (<see cref="FuzzCaseRunner"/>, as many at once as the kernel allows), plays a
/// disagreeing case a second time to confirm it (a busy host can make a timing-dependent fact differ
/// once), classifies confirmed disagreements by their primary kind (<see cref="DisagreementKind"/>),
/// shrinks the first case of each kind (<see cref="FuzzShrinker"/>) and keeps it as a scenario with the
/// kernel's observations (<see cref="FuzzCaseWriter"/>). Progress goes to <c>progress</c>; the summary and
/// exit code (0 all agree, 1 a disagreement remains) to <c>output</c>.
/// </summary>
public static class FuzzRun
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static FuzzSummary Run(FuzzOptions options, FuzzCaseRunner runner, FuzzProgress? progress, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runner);
        var clock = Stopwatch.StartNew();
        bool OutOfTime() => options.Budget is { } b && clock.Elapsed >= b;
        // No case starts in the budget's last fifth: that is the shrinker's.
        bool NoNewCase() => options.Budget is { } b && clock.Elapsed >= b * 0.8;
        var kernel = runner.Kernel;
        var results = new FuzzCaseResult?[options.Cases];
        int done = 0, agreeing = 0, disagreeing = 0;
        var gate = new Lock();
        long lastShown = 0;
        Parallel.For(0, options.Cases, new ParallelOptions { MaxDegreeOfParallelism = kernel.Parallelism, CancellationToken = cancellation }, (i, state) =>
        {
            if (NoNewCase())
            {
                state.Break();
                return;
            }
            var c = FuzzGrammar.Generate(options.Seed, i, kernel.ModelVersion, kernel.Capabilities);
            var r = Confirm(runner, runner.Run(c, cancellation), cancellation);
            results[i] = r;
            lock (gate)
            {
                done++;
                if (r.Agrees) agreeing++;
                else if (!r.Kinds[0].StartsWith(Unconfirmed, StringComparison.Ordinal)) disagreeing++;
                if (progress is not null && (progress.Terminal ? clock.ElapsedMilliseconds - lastShown > 250 || done == options.Cases : done % (kernel.Parallelism == 1 ? 10 : 100) == 0))
                {
                    lastShown = clock.ElapsedMilliseconds;
                    progress.Show(string.Create(Inv, $"  case {done}/{options.Cases}: {agreeing} agree, {disagreeing} disagree, {done - agreeing - disagreeing} unconfirmed, {clock.Elapsed.TotalSeconds:0} s"));
                }
            }
        });
        progress?.Clear();

        var ran = results.Where(r => r is not null).Select(r => r!).ToList();
        var unconfirmed = Enumerable.Range(0, results.Length)
            .Where(i => results[i] is { } r && !r.Agrees && r.Kinds[0].StartsWith(Unconfirmed, StringComparison.Ordinal)).ToList();
        var findings = new List<FuzzFinding>();
        var shrinker = new FuzzShrinker(runner, options.MaxShrinkAttempts);
        foreach (var group in Enumerable.Range(0, results.Length).Where(i => results[i] is { } r && !r.Agrees && !r.Kinds[0].StartsWith(Unconfirmed, StringComparison.Ordinal))
            .GroupBy(i => results[i]!.Kinds[0], StringComparer.Ordinal).OrderBy(g => g.Min()))
        {
            var first = results[group.First()]!;
            progress?.Show(string.Create(Inv, $"  shrinking {first.Case.Name} ({group.Key}) ..."));
            var shrunk = group.Key is DisagreementKind.Rejected or DisagreementKind.Harness
                ? new ShrinkResult(first, 0, false)
                : shrinker.Shrink(first, cancellation, OutOfTime);
            string? file = null;
            if (shrunk.Result.Outcome.Run is not null || shrunk.Result.EspRun is not null)
            {
                var history = new[]
                {
                    $"{options.Origin ?? $"fuzz on {kernel.Name}, seed {options.Seed}"}: case {group.First()} ({first.Case.Name}), {first.Case.Packets.Count} packets, shrunk to {shrunk.Result.Case.Packets.Count} in {shrunk.Attempts} attempts{(shrunk.Complete ? "" : " (stopped early)")}",
                    $"kernel: {shrunk.Result.Outcome.Kernel}",
                };
                file = FuzzCaseWriter.Write(options.OutDir, shrunk.Result, history, options.CompareHint, options.Words);
            }
            progress?.Clear();
            findings.Add(new FuzzFinding(group.Key, [.. group], shrunk.Result, shrunk.Attempts, shrunk.Complete, first.Case.Packets.Count, file));
        }
        var reasons = ran.SelectMany(r => r.Outcome.Checks).Where(c => c.Kind == "drop_reason").ToList();
        return new FuzzSummary(ran.Count, ran.Count(r => r.Agrees), unconfirmed, findings, ran.Count < options.Cases,
            ran.Count == 0 ? 0 : ran.Max(r => r.LateNanoseconds))
        {
            DropReasons = (reasons.Count(c => c.Agree && !ScriptComparison.IsUnattributed(c)), reasons.Count(c => !c.Agree), reasons.Count(ScriptComparison.IsUnattributed),
                ran.Count(r => r.Outcome.Run is { DropReasonsUnavailable: not null })),
        };
    }

    /// <summary>Marks a kind that was not confirmed by a play on time (see <see cref="Confirm"/>).</summary>
    public const string Unconfirmed = "unconfirmed: ";

    /// <summary>Plays of a disagreeing case beyond the first.</summary>
    public const int Replays = 3;

    /// <summary>
    /// A disagreement counts only when a play on time (<see cref="FuzzCaseResult.OnTime"/>) shows it; a
    /// disagreeing case is played again up to <see cref="Replays"/> times: the first replay on time decides
    /// (the same primary kind: confirmed, with that replay's facts; otherwise unconfirmed, a timing effect
    /// of the first play). When no replay is on time either, the kinds are marked unconfirmed.
    /// </summary>
    public static FuzzCaseResult Confirm(FuzzCaseRunner runner, FuzzCaseResult first, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(first);
        if (first.Agrees || first.Kinds[0] == DisagreementKind.Rejected) return first;
        for (int k = 0; k < Replays; k++)
        {
            var again = runner.Run(first.Case, cancellation);
            if (!again.OnTime) continue;
            return !again.Agrees && again.Kinds[0] == first.Kinds[0] ? again : first with { Kinds = [.. first.Kinds.Select(x => Unconfirmed + x)] };
        }
        return first with { Kinds = [.. first.Kinds.Select(x => Unconfirmed + x)] };
    }
}

/// <summary>Progress of <c>lab fuzz</c>: one line rewritten in place on a terminal, whole lines into a file or pipe.</summary>
public sealed class FuzzProgress(TextWriter writer, bool terminal)
{
    public bool Terminal => terminal;

    public void Show(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (terminal) writer.Write("\r" + line.PadRight(90));
        else writer.WriteLine(line.Trim());
        writer.Flush();
    }

    public void Clear()
    {
        if (terminal) writer.Write("\r" + new string(' ', 90) + "\r");
    }
}
