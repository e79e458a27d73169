using System.Globalization;
using System.Text;

namespace Lab.Core;

/// <summary>
/// Names are labels, never paths: a scenario name becomes a folder name (results/NAME) and a
/// run id, so it may hold only letters, digits, '.', '_' and '-', start with a letter or digit
/// (no hidden or option-like names, no "..") and be at most <see cref="MaxLength"/> characters.
/// A name that is not a label is refused, not rewritten: two names must never map to one folder,
/// and <c>lab check</c> must say what <c>lab run</c> would do.
/// </summary>
public static class SafeName
{
    public const int MaxLength = 128;

    public const string Rule = "a label of letters, digits, '.', '_' or '-' that starts with a letter or digit (at most 128 characters; it names the results folder)";

    public static bool IsLabel(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > MaxLength || !char.IsAsciiLetterOrDigit(name[0])) return false;
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-')) return false;
        }
        return true;
    }

    /// <summary>The name as it can be printed on one line: control and non-ASCII characters as \xNN or \uNNNN, cut at 80 characters.</summary>
    public static string Printable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var sb = new StringBuilder();
        foreach (char c in name)
        {
            if (sb.Length >= 80)
            {
                sb.Append("...");
                break;
            }
            if (c is >= ' ' and < (char)0x7f && c != '\\') sb.Append(c);
            else if (c == '\\') sb.Append(@"\\");
            else if (c < 0x100) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }
        return sb.ToString();
    }

    /// <summary>Throws a bad-input error naming <paramref name="what"/> unless <paramref name="name"/> is a label.</summary>
    public static string Require(string name, string what)
    {
        if (!IsLabel(name)) throw new LabInputException($"{what}: expected {Rule}, found '{Printable(name)}'");
        return name;
    }
}
