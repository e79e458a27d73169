using Lab.Core;
using Lab.Experiments.Validation;
using Lab.KernelLab.ScriptValidation;
using Lab.Simulation.Running;

namespace Lab.Experiments.Fuzzing;

/// <summary>One case's result: the comparison and its disagreement kinds (primary first; empty when every fact agrees).</summary>
/// <param name="OnTime">Every packet and probe was played within the runner's lateness limit (<see cref="FuzzCaseRunner.LateLimitNanoseconds"/>), so a timing-dependent fact means what it says.</param>
public sealed record FuzzCaseResult(FuzzCase Case, ScriptKernelOutcome Outcome, IReadOnlyList<string> Kinds, bool OnTime = true)
{
    public bool Agrees => Kinds.Count == 0;

    /// <summary>An ESP case's kernel run (its <see cref="Outcome"/> then has the checks and no forward run).</summary>
    public ScriptEspKernelRun? EspRun { get; init; }

    public long LateNanoseconds => Outcome.Run?.LateNanoseconds ?? EspRun?.LateNanoseconds ?? 0;
}

/// <summary>
/// Runs one case as <c>lab validate</c> would run its scenario: the case's YAML is loaded by the
/// scenario loader (from a private temporary folder), simulated (<see cref="ScriptValidation.SimulateModel"/>)
/// and played into the kernel with the same comparison.
/// </summary>
/// <param name="plantedFault">Test-only seam: changes the model's claims (its trace or probe rows) before the comparison, to show the shrinker on a known model bug. <c>lab fuzz</c> never sets it.</param>
public sealed class FuzzCaseRunner(IFuzzKernel kernel, Func<ScriptModelRun, ScriptModelRun>? plantedFault = null)
{
    public IFuzzKernel Kernel { get; } = kernel ?? throw new ArgumentNullException(nameof(kernel));

    /// <summary>
    /// Lateness up to which a play counts as on time: <see cref="FuzzGrammar.MarginMs"/>, the distance the
    /// grammar keeps every instant from a timeout boundary. A case without any such boundary may allow more.
    /// </summary>
    public long LateLimitNanoseconds { get; init; } = FuzzGrammar.MarginMs * 1_000_000L;

    public FuzzCaseResult Run(FuzzCase c, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Esp is not null) return RunEsp(c, cancellation);
        ScriptModelRun model;
        try
        {
            model = Simulate(c, Kernel.Name, cancellation);
        }
        catch (LabInputException e)
        {
            // The grammar wrote something the loader refuses: a lab bug, reported as its own kind.
            var outcome = new ScriptKernelOutcome(Kernel.Name, [], null, "the generated scenario was refused: " + string.Join("; ", e.Problems));
            return new FuzzCaseResult(c, outcome, [DisagreementKind.Rejected]);
        }
        if (plantedFault is not null) model = plantedFault(model);
        var result = Kernel.Play(model, cancellation);
        return new FuzzCaseResult(c, result, DisagreementKind.Of(result), (result.Run?.LateNanoseconds ?? 0) <= LateLimitNanoseconds);
    }

    /// <summary>
    /// An ESP case, as <c>lab validate SCRIPT --kernel vm</c> runs one through esp_in (<see cref="ScriptEspValidation"/>).
    /// Always on time: anti-replay verdicts and state depend on the order of the sequence numbers only, not on when
    /// they arrive (xfrm_replay_check and xfrm_replay_advance, net/xfrm/xfrm_replay.c, keep no timers), and the player
    /// waits on an echo barrier before each probe, so lateness changes nothing compared.
    /// </summary>
    FuzzCaseResult RunEsp(FuzzCase c, CancellationToken cancellation)
    {
        ScriptEspModelRun model;
        try
        {
            model = SimulateEsp(c, cancellation);
        }
        catch (LabInputException e)
        {
            var refused = new ScriptKernelOutcome(Kernel.Name, [], null, "the generated scenario was refused: " + string.Join("; ", e.Problems));
            return new FuzzCaseResult(c, refused, [DisagreementKind.Rejected]);
        }
        var esp = Kernel.PlayEsp(model, cancellation);
        var outcome = new ScriptKernelOutcome(esp.Kernel, esp.Checks, null, esp.Failure);
        return new FuzzCaseResult(c, outcome, DisagreementKind.Of(outcome)) { EspRun = esp.Run };
    }

    /// <summary>The model's half of an ESP case, as <c>lab validate</c> simulates an ESP script (refusing what the kernel cannot be given).</summary>
    public static ScriptEspModelRun SimulateEsp(FuzzCase c, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(c);
        using var tmp = new PrivateTempDirectory("lab-fuzz-");
        string file = tmp.WriteFile(c.Name + ".yaml", c.ToYaml());
        var loaded = ScenarioLoading.Load(file, [], null, null);
        ScriptEspValidation.Check(loaded.First);
        return ScriptEspValidation.Simulate(loaded.First, cancellation);
    }

    /// <summary>The model's half of <paramref name="c"/>, as <c>lab validate</c> simulates a scripted scenario.</summary>
    public static ScriptModelRun Simulate(FuzzCase c, string kernel, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(c);
        using var tmp = new PrivateTempDirectory("lab-fuzz-");
        string file = tmp.WriteFile(c.Name + ".yaml", c.ToYaml());
        var loaded = ScenarioLoading.Load(file, [], null, null);
        return ScriptValidation.SimulateModel(loaded, kernel, cancellation);
    }
}
