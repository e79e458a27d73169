using System.CommandLine;
using Lab.Cli.Validation;

namespace Lab.Cli.Commands;

/// <summary><c>lab validate</c>: the scenario simulated and replayed into a real kernel, compared (see <see cref="ValidateRunner"/>).</summary>
public static class ValidateCommands
{
    public static Command Create()
    {
        var scenario = new Argument<string>("SCENARIO") { Description = "Scenario YAML file with an esp_in or a forward element (the device under test)" };
        var kernel = new Option<string>("--kernel") { Description = "host: this machine's kernel in namespaces; vm: the Debian kernel under qemu", DefaultValueFactory = _ => "vm" };
        var outDir = new Option<string?>("--out") { Description = "Validation folder (default results/<scenario name>-validate)" };
        var sets = new Option<string[]>("--set") { Description = "Override a parameter: key=value; repeatable" };
        var cmd = new Command("validate", "Simulate a scenario, replay the frames it sends into a real kernel configured the same way, and compare per packet and per counter")
        {
            scenario, kernel, outDir, sets,
        };
        cmd.SetAction((pr, cancellation) => Task.FromResult(ValidateRunner.Run(
            new ValidateOptions(pr.GetValue(scenario)!, pr.GetValue(kernel)!, pr.GetValue(outDir), pr.GetValue(sets)),
            pr.InvocationConfiguration.Output,
            Console.IsErrorRedirected ? null : Console.Error,
            cancellation)));
        return cmd;
    }
}
