using System.CommandLine;
using Lab.Experiments.Regression;

namespace Lab.Cli.Commands;

/// <summary><c>lab regress [DIR] [--update]</c>: the scenario KPI regression set.</summary>
public static class RegressCommands
{
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "Folder of regression scenarios with NAME.expected.json beside each", DefaultValueFactory = _ => Path.Combine("scenarios", "regression") };
        var update = new Option<bool>("--update") { Description = "Rewrite the expected values to what the scenarios measure now, and show what moved" };
        var cmd = new Command("regress", "Run the regression scenarios and compare their key metrics with the committed expectations (exit 1 on a change)") { dir, update };
        cmd.SetAction((pr, cancellation) => Task.FromResult(RegressionRunner.Run(pr.GetValue(dir)!, pr.GetValue(update), pr.InvocationConfiguration.Output, Flags.Wording, cancellation)));
        return cmd;
    }
}
