namespace Lab.Core;

/// <summary>
/// One model parameter, declared once: the scenario key, its unit, default, valid range and the
/// source the default comes from (RFC section, kernel file and function, paper table, or
/// "assumption" when nothing better exists). <c>lab describe</c> prints these.
/// </summary>
public sealed record ParameterSpec(
    string Key,
    string Unit,
    string Default,
    string Range,
    string Source,
    string Description);

/// <summary>A model as <c>lab describe MODEL</c> shows it.</summary>
public sealed record ModelDescription(
    string Name,
    string Summary,
    string KernelCounterpart,
    IReadOnlyList<ParameterSpec> Parameters,
    IReadOnlyList<string> Notes)
{
    /// <summary>The cost-profile section (lab-cost-profile/1 <c>costs.SECTION</c>) this model's costs come from, or null.</summary>
    public string? CostSection { get; init; }

    /// <summary>The prefix of the cost parameters' keys ("costs." for a path element, "cost." for a model table).</summary>
    public string CostKeyPrefix { get; init; } = "cost.";
}
