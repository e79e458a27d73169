using System.CommandLine;
using Lab.Simulation.Running;
using Lab.Core;
using Lab.Models;
using Lab.Scenarios;
using Lab.Scenarios.Profiles;
using Lab.Scenarios.Yaml;

namespace Lab.Cli.Commands;

/// <summary><c>lab describe [MODEL]</c>: every parameter with unit, default, valid range and source.</summary>
public static class DescribeCommands
{
    public static Command Create()
    {
        var model = new Argument<string?>("MODEL") { Description = "Model name (omit to list them)", Arity = ArgumentArity.ZeroOrOne };
        var costs = new Option<string?>("--costs") { Description = "A cost profile (lab calibrate): show which costs it measured and which stay assumptions" };
        var markdown = new Option<bool>("--markdown") { Description = "Print the parameters as the Markdown table of scenarios/README.md" };
        var cmd = new Command("describe", "Show a model's parameters: unit, default, range and source") { model, costs, markdown };
        cmd.SetAction(pr =>
        {
            var output = pr.InvocationConfiguration.Output;
            var all = ModelDescriptions.All();
            string? name = pr.GetValue(model);
            string? costsFile = pr.GetValue(costs);
            if (name is null && costsFile is not null) throw new LabInputException("--costs: expected a MODEL to describe with it (lab describe forward --costs FILE)");
            if (name is null)
            {
                int w = all.Max(d => d.Name.Length);
                foreach (var d in all) output.WriteLine($"{d.Name.PadRight(w)}  {d.Summary}");
                output.WriteLine("\nlab describe MODEL shows one model's parameters.");
                return LabCommand.Ok;
            }
            var found = all.FirstOrDefault(d => d.Name == name);
            if (found is null)
            {
                string? hint = Problems.Suggest(name, all.Select(d => d.Name));
                throw new LabInputException($"describe: unknown model '{name}'" + (hint is null ? $"; expected one of: {string.Join(", ", all.Select(d => d.Name))}" : $" (did you mean '{hint}'?)"));
            }
            CostProfile? profile = null;
            if (costsFile is not null)
            {
                if (found.CostSection is null)
                    throw new LabInputException($"--costs: model '{name}' takes no costs from a cost profile; expected one of: {string.Join(", ", all.Where(d => d.CostSection is not null).Select(d => d.Name))}");
                var flag = SourcePos.Flag("--costs " + costsFile);
                profile = ProfilePath.Read(Path.GetFullPath(costsFile), costsFile, flag, null);
            }
            if (pr.GetValue(markdown))
            {
                output.Write(ModelDescriptions.Markdown(found));
                return LabCommand.Ok;
            }
            output.Write(ModelDescriptions.Format(found, profile));
            if (found.CostSection is not null && profile is null) output.Write($"\nnote: {Remedies.Text(Remedy.DescribeProfileCosts, name)}.\n");
            return LabCommand.Ok;
        });
        return cmd;
    }
}
