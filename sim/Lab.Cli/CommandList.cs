using System.CommandLine;
using Lab.Scenarios;

namespace Lab.Cli;

/// <summary>What bare <c>lab</c> prints, and the suggestion for a mistyped command (<c>lab runn</c>).</summary>
static class CommandList
{
    public static string Format(RootCommand root)
    {
        var commands = root.Subcommands.Where(c => !c.Hidden).ToList();
        int width = commands.Max(c => c.Name.Length);
        var lines = new List<string> { "usage: lab COMMAND [options]  (lab COMMAND --help for its options)", "", "commands:" };
        lines.AddRange(commands.Select(c => $"  {c.Name.PadRight(width)}  {c.Description}"));
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>The problem line when the first argument is not a command (nor an option), else null.</summary>
    public static string? UnknownCommand(RootCommand root, string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-')) return null;
        var names = root.Subcommands.Select(c => c.Name).ToList();
        if (names.Contains(args[0], StringComparer.Ordinal)) return null;
        string? hint = Problems.Suggest(args[0], names);
        return $"unknown command '{args[0]}'" + (hint is null ? "" : $" (did you mean '{hint}'?)") + $"; commands: {string.Join(", ", names)}";
    }
}
