using Lab.Core;

namespace Lab.Cli;

/// <summary>The command line's wording of the remedies libraries attach to input problems: the commands that do them.</summary>
public static class Remedies
{
    public static string Text(Remedy remedy, string model = "MODEL") => remedy switch
    {
        Remedy.WriteCostProfile => "lab calibrate --out FILE writes a cost profile",
        Remedy.DescribeProfileCosts => $"lab calibrate measures these costs; lab describe {model} --costs FILE shows which a profile measured",
        Remedy.FixSweptKeys => "fix the swept keys with --set KEY=VALUE",
        Remedy.RecordBenchRuns => "run lab bench first, or choose --mode",
        _ => remedy.ToString(),
    };
}
