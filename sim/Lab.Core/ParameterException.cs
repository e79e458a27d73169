using System.Text;

namespace Lab.Core;

/// <summary>Another parameter mentioned inside a <see cref="ParameterProblem"/>'s text, named by the front end like the faulty one.</summary>
public sealed record ParameterName(string Name);

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
    public string Render(Func<string, string> nameOf)
    {
        ArgumentNullException.ThrowIfNull(nameOf);
        var sb = new StringBuilder(nameOf(Parameter));
        if (Value is not null) sb.Append(' ').Append(Value);
        sb.Append(": ");
        foreach (var part in Parts) sb.Append(part is ParameterName p ? nameOf(p.Name) : part.ToString());
        return sb.ToString();
    }
}

/// <summary>
/// A user mistake in the value of a named parameter (a bad interval, interface, timing mode). The
/// library reports which parameter and what is wrong as data; the front end names the parameter as
/// the user wrote it (sim/Lab.Cli maps it to its flag) and exits with code 2, like
/// <see cref="LabInputException"/>. <see cref="Exception.Message"/> uses the library's names.
/// </summary>
public sealed class ParameterException : Exception
{
    public ParameterException(string parameter, params object[] parts) : this([new ParameterProblem(parameter, parts)]) { }

    public ParameterException(IReadOnlyList<ParameterProblem> problems)
        : base(string.Join(Environment.NewLine, (problems ?? throw new ArgumentNullException(nameof(problems))).Select(p => p.Render(n => n))))
    {
        Problems = problems;
    }

    public ParameterException() : this("input", "bad value") { }

    /// <summary>A problem with one value of <paramref name="parameter"/>: "--kernel vm: cannot run here" on the command line.</summary>
    public static ParameterException ForValue(string parameter, string value, params object[] parts) =>
        new([new ParameterProblem(parameter, parts) { Value = value }]);

    public ParameterException(string message) : this("input", message) { }

    public ParameterException(string message, Exception inner) : base(message, inner) { Problems = [new ParameterProblem("input", [message])]; }

    public IReadOnlyList<ParameterProblem> Problems { get; }

    /// <summary>One line per problem, every parameter named by <paramref name="nameOf"/>.</summary>
    public IReadOnlyList<string> Render(Func<string, string> nameOf) => Problems.Select(p => p.Render(nameOf)).ToList();
}
