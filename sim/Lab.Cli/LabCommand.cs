using System.CommandLine;
using Lab.Engine;

namespace Lab.Cli;

/// <summary>
/// The <c>lab</c> command. Each subcommand lives in Commands/ as a static class with a
/// <c>Create()</c> method; add yours to <see cref="Subcommands"/>. Exit codes: 0 success,
/// 1 a check or comparison failed, 2 bad input.
/// </summary>
public static class LabCommand
{
    public const int Ok = 0;
    public const int CheckFailed = 1;
    public const int BadInput = 2;

    static IEnumerable<Command> Subcommands()
    {
        yield return Commands.RunCommands.CreateRun();
        yield return Commands.RunCommands.CreateCheck();
        yield return Commands.DescribeCommands.Create();
        yield return Commands.ResultsCommands.Create();
        yield return Commands.EspCommands.Create();
        yield return Commands.PowerCommands.Create();
        yield return Commands.ReplayCommands.Create();
        yield return Commands.ReportCommands.Create();
        yield return Commands.SweepCommands.Create();
        yield return Commands.SweepCommands.CreateMerge();
        yield return Commands.ReorderCommands.Create();
        yield return Commands.BenchCommands.Create();
        yield return Commands.RegressCommands.Create();
        yield return Commands.ValidateCommands.Create();
        yield return Commands.CalibrateCommands.Create();
    }

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("lab: packet-path simulator and benchmark lab for the Linux xfrm and netfilter datapaths");
        foreach (var c in Subcommands()) root.Subcommands.Add(c);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) stderr.WriteLine($"lab: error: {e.Message}");
            return BadInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (LabInputException ex)
        {
            foreach (var p in ex.Problems) stderr.WriteLine($"lab: error: {p}");
            return BadInput;
        }
        catch (IOException ex)
        {
            // A file the user named cannot be read or written (permissions, a full disk).
            stderr.WriteLine($"lab: error: {ex.Message}");
            return BadInput;
        }
        catch (UnauthorizedAccessException ex)
        {
            stderr.WriteLine($"lab: error: {ex.Message}");
            return BadInput;
        }
    }
}
