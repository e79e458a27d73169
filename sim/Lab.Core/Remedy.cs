namespace Lab.Core;

/// <summary>
/// What the user can do about an input problem, said without naming a command or flag: a library
/// attaches it to a <see cref="LabInputException"/> and the front end words it (sim/Lab.Cli names
/// the command that does it).
/// </summary>
public enum Remedy
{
    /// <summary>Measure the costs into a cost profile (the CLI: lab calibrate --out FILE).</summary>
    WriteCostProfile,

    /// <summary>See which costs a cost profile measured for a model (the CLI: lab describe MODEL --costs FILE).</summary>
    DescribeProfileCosts,

    /// <summary>Fix the swept keys of a scenario to one value each (the CLI: --set KEY=VALUE).</summary>
    FixSweptKeys,

    /// <summary>Record benchmark runs first, or choose other run modes (the CLI: lab bench; lab report --bench --mode).</summary>
    RecordBenchRuns,
}
