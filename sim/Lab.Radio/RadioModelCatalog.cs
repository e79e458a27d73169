using Lab.Models;
using Lab.Radio.Cellular;
using Lab.Radio.Power;

namespace Lab.Radio;

/// <summary>The descriptions <c>lab describe radio-lte|radio-3g|radio-nr|cellular</c> prints.</summary>
public static class RadioModelCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["radio-lte", "radio-3g", "radio-nr", "cellular"];

    public static ModelDescription? Describe(string name) => name switch
    {
        "radio-lte" => RrcProfiles.Describe("lte"),
        "radio-3g" => RrcProfiles.Describe("3g"),
        "radio-nr" => RrcProfiles.Describe("nr"),
        "cellular" => CellularBearerModel.Describe(),
        _ => null,
    };
}
