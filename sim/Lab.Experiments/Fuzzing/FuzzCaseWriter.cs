using System.Globalization;
using Lab.Core;
using Lab.Experiments.Validation;

namespace Lab.Experiments.Fuzzing;

/// <summary>
/// Keeps a disagreeing (shrunk) case as a regression scenario: <c>DIR/NAME.yaml</c> and the kernel's
/// observations beside it, <c>DIR/NAME.kernel.txt</c> (<see cref="RecordedKernelRun"/>), so
/// <c>lab validate DIR/NAME.yaml --kernel recorded</c> checks the model against what the kernel did
/// without a kernel, and <c>--kernel host</c> against the live one. The name is generated
/// (fuzz-SEED-CASE, then -2, -3, ... when taken), never taken from input; both files are created
/// exclusively, so nothing that exists, the lab's or anyone's, is overwritten.
/// </summary>
public static class FuzzCaseWriter
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    static string NeutralHint(string file, string live) =>
        $"validating {file} against the recorded kernel compares the model with them (failing while the disagreement remains), against the {live} kernel with the live one";

    /// <returns>The scenario file written.</returns>
    /// <param name="compareHint">How a user compares the model with the recording and with the live kernel, as the
    /// front end words it, given the scenario file name and the live kernel (host or vm); null: a neutral sentence.</param>
    /// <param name="wording">How the front end names the fuzz command in the files' descriptions; null: the library's names.</param>
    public static string Write(string dir, FuzzCaseResult result, IEnumerable<string> history, Func<string, string, string>? compareHint = null, Wording? wording = null)
    {
        var words = wording ?? Wording.Library;
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(history);
        if (result.Outcome.Run is null && result.EspRun is null) throw new ArgumentException("the case has no kernel run to record", nameof(result));
        if (File.Exists(dir)) throw ParameterException.ForValue("out", dir, "a file, not a folder");
        Directory.CreateDirectory(dir);
        for (int k = 1; ; k++)
        {
            string name = k == 1 ? result.Case.Name : string.Create(Inv, $"{result.Case.Name}-{k}");
            string yaml = Path.Combine(dir, name + ".yaml"), kernel = RecordedKernelRun.PathFor(yaml);
            if (File.Exists(yaml) || File.Exists(kernel)) continue;
            var c = result.Case with { Name = name };
            var header = new List<string>(history)
            {
                $"disagreement kinds: {string.Join(", ", result.Kinds)}",
                $"the kernel's observations: {Path.GetFileName(kernel)}; "
                    + (compareHint ?? NeutralHint)(name + ".yaml", result.Outcome.Kernel.StartsWith("vm", StringComparison.Ordinal) ? "vm" : "host"),
            };
            header.AddRange(result.Outcome.Checks.Where(x => !x.Agree).Take(20).Select(x =>
                string.Create(Inv, $"at {x.AtSeconds:0.###} s {x.Key} {x.Field}: model {x.Model}, kernel {x.Kernel}")));
            // Who is dropping the packets, model cause beside the kernel's skb drop reason, as lab validate prints it.
            header.AddRange(ScriptComparison.DropTable(result.Outcome.Checks).Select(l => l.TrimEnd()));
            if (!TryCreate(yaml, c.ToYaml(header, words))) continue;
            string[] comment = [words.Render(new CommandName("fuzz"), $": the kernel's observations for {name}.yaml")];
            string observations = result.Outcome.Run is { } run ? RecordedKernelRun.Write(run, comment) : RecordedEspRun.Write(result.EspRun!, comment);
            if (!TryCreate(kernel, observations))
            {
                File.Delete(yaml); // ours, written a moment ago
                continue;
            }
            return yaml;
        }
    }

    static bool TryCreate(string file, string text)
    {
        try
        {
            using var f = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            using var w = new StreamWriter(f, new System.Text.UTF8Encoding(false));
            w.Write(text);
            return true;
        }
        catch (IOException) when (File.Exists(file))
        {
            return false;
        }
    }
}
