using System.Text;
using Lab.Core;

namespace Lab.Experiments.Validation;

/// <summary>
/// The text shared by the kernel recordings beside fuzz cases (<see cref="RecordedKernelRun"/> for forward
/// scripts, <see cref="RecordedEspRun"/> for ESP ones): "# " comment lines, one "kernel NAME" line, then
/// one fact a line as "WORD REST". Reading skips blank and comment lines and reports a malformed line as
/// bad input naming file:line:1.
/// </summary>
public static class KernelRecordingText
{
    /// <summary>The word of the line naming the kernel the recording was made on.</summary>
    public const string KernelWord = "kernel";

    /// <summary>One fact line: its first word, the rest after one space, and its line number from 1.</summary>
    public readonly record struct Line(string Word, string Rest, int Number)
    {
        /// <summary>The rest split at spaces.</summary>
        public string[] Fields => Rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The comment lines and the kernel line that start every recording.</summary>
    public static StringBuilder Header(string kernel, IEnumerable<string> comments)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(comments);
        var sb = new StringBuilder();
        foreach (var c in comments) sb.Append("# ").Append(c.ReplaceLineEndings(" ")).Append('\n');
        return sb.Append(KernelWord).Append(' ').Append(kernel.ReplaceLineEndings(" ")).Append('\n');
    }

    /// <summary>How a recording's kernel line names the kernel in comparisons.</summary>
    public static string KernelName(string rest) => "recorded: " + rest;

    /// <summary>
    /// Hands each fact line of <paramref name="file"/> to <paramref name="read"/>; a <see cref="FormatException"/>
    /// (or an index, overflow or key error from a short or odd line) becomes a <see cref="LabInputException"/> at file:line:1.
    /// </summary>
    public static void Read(string file, Action<Line> read)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(read);
        int n = 0;
        foreach (string raw in File.ReadAllLines(file))
        {
            n++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int sp = line.IndexOf(' ', StringComparison.Ordinal);
            try
            {
                read(new Line(sp < 0 ? line : line[..sp], sp < 0 ? "" : line[(sp + 1)..], n));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException or KeyNotFoundException)
            {
                throw new LabInputException($"{file}:{n}:1: {e.Message}");
            }
        }
    }
}
