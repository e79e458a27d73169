using Lab.Models;
using Lab.Radio.Power;
using Lab.Core;

namespace Lab.Radio;

/// <summary>The descriptions <c>lab describe radio-lte|radio-3g|radio-nr</c> prints (the cellular bearer is a path element: its plugin describes it).</summary>
public static class RadioModelCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["radio-lte", "radio-3g", "radio-nr"];

    public static ModelDescription? Describe(string name) => name switch
    {
        "radio-lte" => RrcProfiles.Describe("lte"),
        "radio-3g" => RrcProfiles.Describe("3g"),
        "radio-nr" => RrcProfiles.Describe("nr"),
        _ => null,
    };
}
