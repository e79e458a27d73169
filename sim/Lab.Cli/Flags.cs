using Lab.Core;

namespace Lab.Cli;

/// <summary>
/// The command line's names for the parameters libraries report in a ParameterException: the flag
/// that sets each one. A parameter is named like its flag unless listed here.
/// </summary>
public static class Flags
{
    static readonly Dictionary<string, string> Renamed = new(StringComparer.Ordinal)
    {
        // lab power keepalive --size sets KeepaliveReportOptions.Bytes.
        ["bytes"] = "--size",
    };

    /// <summary>How the command line names what library text mentions: parameters as flags, commands as "lab COMMAND".</summary>
    public static Wording Wording { get; } = new(NameOf, command => "lab " + command);

    public static string NameOf(string parameter) => Renamed.TryGetValue(parameter, out var flag) ? flag : "--" + parameter;
}
