using System.CommandLine;
using Lab.KernelLab.Cleanup;
using Lab.Benchmarking;
using Lab.Core;

namespace Lab.Cli;

/// <summary>
/// The <c>lab</c> command. Each subcommand lives in Commands/ as a static class with a
/// <c>Create()</c> method; add yours to <see cref="Subcommands"/>. Exit codes: 0 success,
/// 1 a check or comparison failed, 2 bad input, 130 interrupted by Ctrl-C (SIGINT), 143 by SIGTERM.
/// A long command takes the <see cref="CancellationToken"/> System.CommandLine gives its action
/// (<c>SetAction((parseResult, cancellation) => ...)</c>) and passes it down to the libraries.
/// </summary>
public static class LabCommand
{
    public const int Ok = ExitCodes.Ok;
    public const int CheckFailed = ExitCodes.CheckFailed;
    public const int BadInput = ExitCodes.BadInput;

    /// <summary>128 + SIGINT, as shells report a Ctrl-C.</summary>
    public const int Interrupted = SignalCancellation.SigIntExitCode;

    /// <summary>The one line an interrupted command ends with (on stderr).</summary>
    public const string InterruptedMessage = "lab: interrupted";

    /// <summary>How long work may take to unwind after Ctrl-C before the process is ended for it.</summary>
    static readonly TimeSpan InterruptGrace = TimeSpan.FromMilliseconds(600);

    static int _interruptReported;

    static IEnumerable<Command> Subcommands(IBenchmarkHost? benchHost)
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
        yield return Commands.BenchCommands.Create(benchHost);
        yield return Commands.RegressCommands.Create();
        yield return Commands.ValidateCommands.Create();
        yield return Commands.CalibrateCommands.Create();
        yield return Commands.FuzzCommands.Create();
    }

    /// <summary>
    /// The process's entry: Ctrl-C and SIGTERM cancel the command's work (<see cref="SignalCancellation"/>),
    /// and the process is marked as the lab's so that a later run removes what a SIGKILL left of it.
    /// </summary>
    public static int Run(string[] args, IBenchmarkHost? benchHost = null)
    {
        using var signals = SignalCancellation.Install(InterruptGrace, () => ReportInterrupted(Console.Error));
        // What killed lab processes left (namespaces, temp folders, the runtime's diagnostic sockets), by their markers only.
        OwnedResources.RemoveStaleOnce();
        OwnedResources.MarkProcess();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => OwnedResources.UnmarkProcess();
        int code = Run(args, Console.Out, Console.Error, signals.Token, () => ReportInterrupted(Console.Error), benchHost);
        signals.Finished();
        return signals.ExitCode != 0 ? signals.ExitCode : code;
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, CancellationToken.None);

    /// <summary>Runs a command; once <paramref name="cancellation"/> is cancelled, it ends with <see cref="InterruptedMessage"/> and <see cref="Interrupted"/>.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation) =>
        Run(args, stdout, stderr, cancellation, () => stderr.WriteLine(InterruptedMessage), null);

    /// <summary>
    /// Runs a command with <paramref name="benchHost"/> as the host of <c>lab bench</c>'s measurements
    /// (null: <c>lab bench</c> relaunches itself in a Release build, see <see cref="ReleaseHostLauncher"/>).
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, IBenchmarkHost benchHost) =>
        Run(args, stdout, stderr, CancellationToken.None, () => stderr.WriteLine(InterruptedMessage), benchHost);

    static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation, Action reportInterrupted, IBenchmarkHost? benchHost)
    {
        int code = Invoke(args, stdout, stderr, cancellation, benchHost);
        if (!cancellation.IsCancellationRequested) return code;
        reportInterrupted();
        return Interrupted;
    }

    /// <summary>The process's report: once, whether the work unwound or the watchdog ended it.</summary>
    static void ReportInterrupted(TextWriter stderr)
    {
        if (Interlocked.Exchange(ref _interruptReported, 1) != 0) return;
        stderr.WriteLine(InterruptedMessage);
        stderr.Flush();
    }

    static int Invoke(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation, IBenchmarkHost? benchHost)
    {
        var root = new RootCommand("lab: packet-path simulator and benchmark lab for the Linux xfrm and netfilter datapaths");
        foreach (var c in Subcommands(benchHost)) root.Subcommands.Add(c);
        if (args.Length == 0)
        {
            stdout.Write(CommandList.Format(root));
            return Ok;
        }
        if (CommandList.UnknownCommand(root, args) is { } unknown)
        {
            stderr.WriteLine($"lab: error: {unknown}");
            return BadInput;
        }
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) stderr.WriteLine($"lab: error: {e.Message}");
            return BadInput;
        }
        try
        {
            // No ProcessTerminationTimeout: System.CommandLine's own signal handling would return while the work still runs.
            var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return parsed.InvokeAsync(config, cancellation).GetAwaiter().GetResult();
        }
        catch (Exception) when (cancellation.IsCancellationRequested)
        {
            // Whatever the interrupted work threw on its way out (OperationCanceledException, a killed child's error) is not news.
            return Interrupted;
        }
        catch (ParameterException ex)
        {
            foreach (var p in ex.Render(Flags.Wording)) stderr.WriteLine($"lab: error: {p}");
            return BadInput;
        }
        catch (LabInputException ex)
        {
            foreach (var p in ex.Problems) stderr.WriteLine($"lab: error: {p}");
            foreach (var r in ex.Remedies) stderr.WriteLine($"lab: hint: {Remedies.Text(r)}");
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
