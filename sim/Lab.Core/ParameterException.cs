using System.Text;

namespace Lab.Core;

/// <summary>Another parameter mentioned inside a <see cref="ParameterProblem"/>'s text, named by the front end like the faulty one.</summary>
public sealed record ParameterName(string Name);

/// <summary>A command of the front end mentioned in a library's text ("sweep"), named by the front end (the CLI: "lab sweep").</summary>
public sealed record CommandName(string Name);

/// <summary>
/// How the front end names what library text mentions: <see cref="ParameterName"/> parts through
/// <see cref="Parameter"/> (the CLI: its flags), <see cref="CommandName"/> parts through
/// <see cref="Command"/>. Libraries that write text for the user (summaries, hints in reports) take one.
/// </summary>
public sealed record Wording(Func<string, string> Parameter, Func<string, string> Command)
{
    /// <summary>The libraries' own names, unchanged: for messages read by code and library tests.</summary>
    public static Wording Library { get; } = new(n => n, n => n);

    /// <summary>The parts as text, every mention named by this wording.</summary>
    public string Render(params object[] parts) => Render((IEnumerable<object>)parts);

    public string Render(IEnumerable<object> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var sb = new StringBuilder();
        foreach (var part in parts)
        {
            sb.Append(part switch
            {
                ParameterName p => Parameter(p.Name),
                CommandName c => Command(c.Name),
                _ => part.ToString(),
            });
        }
        return sb.ToString();
    }
}

/// <summary>
/// What is wrong with the value of one parameter, said without knowing how the user supplied it:
/// <see cref="Parameter"/> is the library's name for it, <see cref="Parts"/> the text, with
/// <see cref="ParameterName"/> where it mentions another parameter.
/// </summary>
public sealed record ParameterProblem(string Parameter, IReadOnlyList<object> Parts)
{
    /// <summary>The value the problem is about, when it is one of several the parameter takes ("vm" of a kernel choice), or null.</summary>
    public string? Value { get; init; }

    /// <summary>"NAME: problem" (or "NAME VALUE: problem"), each parameter named by <paramref name="nameOf"/> (the CLI: its flag).</summary>
    public string Render(Func<string, string> nameOf) => Render(new Wording(nameOf, c => c));

    /// <summary>"NAME: problem" (or "NAME VALUE: problem", or just the problem when it is about no one parameter), mentions named by <paramref name="wording"/>.</summary>
    public string Render(Wording wording)
    {
        ArgumentNullException.ThrowIfNull(wording);
        var sb = new StringBuilder();
        if (Parameter.Length > 0)
        {
            sb.Append(wording.Parameter(Parameter));
            if (Value is not null) sb.Append(' ').Append(Value);
            sb.Append(": ");
        }
        sb.Append(wording.Render(Parts));
        return sb.ToString();
    }
}

/// <summary>
/// A user mistake in the value of a named parameter (a bad interval, interface, timing mode). The
/// library reports which parameter and what is wrong as data; the front end names the parameter as
/// the user wrote it (sim/Lab.Cli maps it to its flag) and exits with code 2, like
/// <see cref="LabInputException"/>, which it is, so that code catching bad input catches it too.
/// <see cref="Exception.Message"/> and the base's problem lines use the library's names.
/// </summary>
public sealed class ParameterException : LabInputException
{
    public ParameterException(string parameter, params object[] parts) : this([new ParameterProblem(parameter, parts)]) { }

    public ParameterException(IReadOnlyList<ParameterProblem> problems)
        : base((problems ?? throw new ArgumentNullException(nameof(problems))).Select(p => p.Render(Wording.Library)).ToList())
    {
        Problems = problems;
    }

    public ParameterException() : this("input", "bad value") { }

    /// <summary>A problem with one value of <paramref name="parameter"/>: "--kernel vm: cannot run here" on the command line.</summary>
    public static ParameterException ForValue(string parameter, string value, params object[] parts) =>
        new([new ParameterProblem(parameter, parts) { Value = value }]);

    /// <summary>A problem about no single parameter's value whose text still mentions parameters or commands (a folder in use: "choose another --out").</summary>
    public static ParameterException Mentioning(params object[] parts) => new([new ParameterProblem("", parts)]);

    public ParameterException(string message) : this("input", message) { }

    public ParameterException(string message, Exception inner) : base(message, inner) { Problems = [new ParameterProblem("input", [message])]; }

    /// <summary>The problems as data (the base's <see cref="LabInputException.Problems"/> are the same in the library's words).</summary>
    public new IReadOnlyList<ParameterProblem> Problems { get; }

    /// <summary>One line per problem, every parameter named by <paramref name="nameOf"/>.</summary>
    public IReadOnlyList<string> Render(Func<string, string> nameOf) => Problems.Select(p => p.Render(nameOf)).ToList();

    /// <summary>One line per problem, every mention named by <paramref name="wording"/>.</summary>
    public IReadOnlyList<string> Render(Wording wording) => Problems.Select(p => p.Render(wording)).ToList();
}
