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
        var force = new Option<bool>("--force") { Description = "Replace --out even if it is not empty and not a lab validation folder (never a sweep folder)" };
        var cmd = new Command("validate", "Simulate a scenario, replay the frames it sends into a real kernel configured the same way, and compare per packet and per counter")
        {
            scenario, kernel, outDir, sets, force,
        };
        cmd.SetAction(pr => ValidateRunner.Run(
            new ValidateOptions(pr.GetValue(scenario)!, pr.GetValue(kernel)!, pr.GetValue(outDir), pr.GetValue(sets), pr.GetValue(force)),
            pr.InvocationConfiguration.Output,
            Console.IsErrorRedirected ? null : Console.Error));
        return cmd;
    }
}
