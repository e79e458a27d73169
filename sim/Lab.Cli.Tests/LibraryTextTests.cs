using System.Text;
using System.Text.RegularExpressions;

namespace Lab.Cli.Tests;

/// <summary>
/// Issue 17: libraries never name a command-line flag or a lab command in their text; they report
/// parameters and commands as data (ParameterName, CommandName, Remedy) and sim/Lab.Cli words them.
/// Scans the string literals (comments left out) of every C# file under the library folders.
/// </summary>
public sealed partial class LibraryTextTests
{
    static readonly string[] LibraryFolders =
    [
        "sim/Lab.Core", "sim/Lab.Engine", "sim/Lab.Models", "sim/Lab.Esp", "sim/Lab.Netfilter", "sim/Lab.Radio",
        "sim/Lab.Scenarios", "sim/Lab.Simulation", "sim/Lab.Results", "sim/Lab.Experiments", "sim/Lab.Calibration",
        "captures/Lab.Captures", "captures/Lab.KernelLab", "reports/Lab.Reports", "bench/Lab.Benchmarking",
    ];

    /// <summary>Literals that name another program's options or output, not the lab's: (file, literal) pairs, each with its reason.</summary>
    static readonly (string File, string Literal)[] OtherPrograms =
    [
        // git rev-parse's own option.
        ("sim/Lab.Simulation/Running/LabInfo.cs", "--short=12"),
        // git's own options: the baseline commit's work tree (git rev-parse, git worktree).
        ("bench/Lab.Benchmarking/BaselineHostBuild.cs", "--show-toplevel"),
        ("bench/Lab.Benchmarking/BaselineHostBuild.cs", "--verify"),
        ("bench/Lab.Benchmarking/BaselineHostBuild.cs", "--quiet"),
        ("bench/Lab.Benchmarking/BaselineHostBuild.cs", "--end-of-options"),
        ("bench/Lab.Benchmarking/BaselineHostBuild.cs", "--detach"),
        ("bench/Lab.Benchmarking/BaselineHostBuild.cs", "--force"),
        // The marker files of the baseline hosts' cache (a format, not advice; kept byte-identical so existing caches stay valid).
        ("bench/Lab.Benchmarking/BaselineHostBuild.cs", "lab bench-host cache\\n"),
        ("bench/Lab.Benchmarking/BaselineHostBuild.cs", "lab bench-host {full}\\n"),
        // dotnet run's own option (the Release build of the lab's host).
        ("bench/Lab.Benchmarking/ReleaseHostLauncher.cs", "--project"),
        // sbatch(1) directives in the Slurm script.
        ("sim/Lab.Experiments/Sweeps/SlurmScript.cs", "#SBATCH --job-name={JobName(o.ScenarioName)}\\n"),
        ("sim/Lab.Experiments/Sweeps/SlurmScript.cs", "#SBATCH --array=0-{o.Shards - 1}\\n"),
        ("sim/Lab.Experiments/Sweeps/SlurmScript.cs", "#SBATCH --ntasks=1\\n"),
        ("sim/Lab.Experiments/Sweeps/SlurmScript.cs", "#SBATCH --cpus-per-task={o.JobsPerTask}\\n"),
        ("sim/Lab.Experiments/Sweeps/SlurmScript.cs", "#SBATCH --output={Path.Combine(shared, \"slurm-%A_%a.out\")}\\n"),
        // The output of the guest's `lab esp replay` run, which this file parses (a format name, not advice).
        ("captures/Lab.KernelLab/Validation/ReplayReferenceVerdicts.cs", "lab esp replay line {i + 1}: expected accept or drop REASON, found '{lines[i]}'"),
        ("captures/Lab.KernelLab/Validation/ReplayReferenceVerdicts.cs", "lab esp replay: expected '  replay-window A replay B failed C', found '{lines[count + 2]}'"),
        ("captures/Lab.KernelLab/Validation/ReplayReferenceVerdicts.cs", "lab esp replay: expected '{name} N', found '{line}'"),
    ];

    /// <summary>CSS custom properties (--ink: ...) in the reports' style sheets are not flags.</summary>
    static bool IsStyleSheet(string literal) => literal.Contains(":root {", StringComparison.Ordinal);

    /// <summary>The lab's commands (`lab` without arguments lists them).</summary>
    [GeneratedRegex(@"--[a-z]|\blab (run|check|describe|results|esp|power|replay|report|sweep|merge|reorder|bench|regress|validate|calibrate|fuzz)\b")]
    private static partial Regex CliText();

    static string Root()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lab.sln"))) root = Path.GetDirectoryName(root)!;
        return root;
    }

    [Fact]
    public void No_library_string_names_a_flag_or_a_lab_command()
    {
        string root = Root();
        var found = new List<string>();
        int files = 0;
        foreach (var folder in LibraryFolders)
        {
            foreach (var path in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(root, path).Replace('\\', '/');
                if (rel.Contains("/obj/", StringComparison.Ordinal) || rel.Contains("/bin/", StringComparison.Ordinal)) continue;
                files++;
                foreach (var literal in StringLiterals(File.ReadAllText(path)))
                {
                    if (CliText().IsMatch(literal) && !OtherPrograms.Contains((rel, literal)) && !IsStyleSheet(literal)) found.Add($"{rel}: \"{literal}\"");
                }
            }
        }
        Assert.True(files > 300, $"only {files} library files scanned; the folders moved?");
        Assert.True(found.Count == 0, "library text naming a flag or command (report it as a ParameterName/CommandName/Remedy instead):\n" + string.Join('\n', found));
    }

    [Fact]
    public void The_scanner_sees_literals_and_skips_comments()
    {
        // Independent check of the lexer the test above relies on: every kind of literal is found, nothing in comments is.
        const string source = """"
            // "--in-comment"
            /* "--block" */
            /// <c>"--doc"</c>
            var a = "--plain";
            var b = @"--verbatim ""q""";
            var c = $"--interp {(x ? "--nested" : "")} {{ braces }}";
            var d = '"';
            var e = $@"--both {y}";
            var f = """--raw""";
            """";
        var literals = StringLiterals(source).ToList();
        // A hole's literals come before the string that holds them.
        Assert.Equal(["--plain", "--verbatim \"\"q\"\"", "--nested", "", "--interp {(x ? \"--nested\" : \"\")} {{ braces }}", "--both {y}", "--raw"], literals);
    }

    /// <summary>
    /// The text of every string literal in C# <paramref name="source"/>, comments skipped. An interpolated
    /// string yields its whole text (holes included) and, separately, the literals inside its holes.
    /// </summary>
    static IEnumerable<string> StringLiterals(string source)
    {
        var result = new List<string>();
        int i = 0;
        LexCode(source, ref i, result, stopAtBrace: false);
        return result;
    }

    static void LexCode(string s, ref int i, List<string> result, bool stopAtBrace)
    {
        int depth = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '/' && i + 1 < s.Length && s[i + 1] == '/')
            {
                while (i < s.Length && s[i] != '\n') i++;
            }
            else if (c == '/' && i + 1 < s.Length && s[i + 1] == '*')
            {
                int end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? s.Length : end + 2;
            }
            else if (c == '\'')
            {
                i++;
                while (i < s.Length && s[i] != '\'') i += s[i] == '\\' ? 2 : 1;
                i++;
            }
            else if (c == '"' || ((c == '$' || c == '@') && i + 1 < s.Length && (s[i + 1] == '"' || s[i + 1] is '$' or '@')))
            {
                LexString(s, ref i, result);
            }
            else if (stopAtBrace && c == '{') { depth++; i++; }
            else if (stopAtBrace && c == '}')
            {
                if (depth == 0) return;
                depth--;
                i++;
            }
            else i++;
        }
    }

    static void LexString(string s, ref int i, List<string> result)
    {
        bool interpolated = false, verbatim = false;
        while (s[i] is '$' or '@')
        {
            if (s[i] == '$') interpolated = true; else verbatim = true;
            i++;
        }
        int quotes = 0;
        while (i + quotes < s.Length && s[i + quotes] == '"') quotes++;
        if (quotes >= 3)
        {
            // A raw string literal: up to the same run of quotes.
            int end = s.IndexOf(new string('"', quotes), i + quotes, StringComparison.Ordinal);
            result.Add(s[(i + quotes)..end]);
            i = end + quotes;
            return;
        }
        if (quotes == 2 && !verbatim)
        {
            result.Add("");
            i += 2;
            return;
        }
        i++;
        var text = new StringBuilder();
        while (i < s.Length)
        {
            char c = s[i];
            if (verbatim && c == '"' && i + 1 < s.Length && s[i + 1] == '"') { text.Append("\"\""); i += 2; continue; }
            if (c == '"') { i++; break; }
            if (!verbatim && c == '\\') { text.Append(s, i, 2); i += 2; continue; }
            if (interpolated && c == '{')
            {
                if (i + 1 < s.Length && s[i + 1] == '{') { text.Append("{{"); i += 2; continue; }
                int start = i;
                i++;
                LexCode(s, ref i, result, stopAtBrace: true);
                i++;
                text.Append(s, start, i - start);
                continue;
            }
            text.Append(c);
            i++;
        }
        result.Add(text.ToString());
    }
}
