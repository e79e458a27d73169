using Lab.Radio.Power;
using Lab.Core;

namespace Lab.Radio;

/// <summary>The descriptions <c>lab describe radio-lte|radio-3g|radio-nr</c> prints, from the radios' declarations (<see cref="RrcProfiles.Radios"/>); the cellular bearer is a path element: its plugin describes it.</summary>
public static class RadioModelCatalog
{
    public static IReadOnlyList<string> Names { get; } = [.. RrcProfiles.Radios.Select(r => r.Name)];

    public static ModelDescription? Describe(string name) => RrcProfiles.Radios.FirstOrDefault(r => r.Name == name)?.Describe();
}
