namespace Lab.Core;

/// <summary>One key of a scenario section: what it takes, its default and meaning. Drives validation, docs and `lab describe`.</summary>
public sealed record KeySpec(string Key, string Type, string Default, string Description);
