namespace Lab.Core;

/// <summary>
/// A user mistake (bad scenario, pcap, flag): the command line prints <see cref="Exception.Message"/>
/// as one line per problem and exits with code 2, never a stack trace. A <see cref="ParameterException"/>
/// is one whose text names parameters or commands, which the front end words.
/// </summary>
public class LabInputException : Exception
{
    public LabInputException(string message) : base(message) { Problems = [message]; }

    public LabInputException(IReadOnlyList<string> problems)
        : base(string.Join(Environment.NewLine, problems)) { Problems = problems; }

    public LabInputException() : this("bad input") { }

    public LabInputException(string message, Exception inner) : base(message, inner) { Problems = [message]; }

    public IReadOnlyList<string> Problems { get; }

    /// <summary>What the user can do about the problems; the front end words each (it knows the commands).</summary>
    public IReadOnlyList<Remedy> Remedies { get; init; } = [];
}
