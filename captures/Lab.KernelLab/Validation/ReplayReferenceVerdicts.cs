using System.Globalization;
using Lab.Esp;
using Lab.Esp.Reference;

namespace Lab.KernelLab.Validation;

/// <summary>
/// What <c>lab esp replay</c> (<see cref="ReplayReference.Run"/>, the kernel-exact replay model
/// with synchronous crypto) says about a sequence of arrivals, read back from its output
/// contract: one verdict per input line, then the per-SA stats and the MIB counters. Going
/// through the printed output, rather than the model's objects, checks the kernel against
/// exactly what the command prints.
/// </summary>
public sealed record ReplayReferenceVerdicts(IReadOnlyList<DropReason> Verdicts, EspSaCounters Counters)
{
    public static ReplayReferenceVerdicts Run(EspValidationSa sa, IReadOnlyList<ulong> sequences)
    {
        ArgumentNullException.ThrowIfNull(sa);
        ArgumentNullException.ThrowIfNull(sequences);
        var input = new StringWriter(CultureInfo.InvariantCulture);
        foreach (var s in sequences) input.WriteLine(s.ToString(CultureInfo.InvariantCulture));
        var output = new StringWriter(CultureInfo.InvariantCulture);
        ReplayReference.Run(new ReplayReferenceOptions(sa.Replay, sa.Window, sa.InitialSeq, sa.InitialSeqHi),
            new StringReader(input.ToString()), "trace", output);
        return Parse(output.ToString(), sequences.Count);
    }

    /// <summary>Reads `lab esp replay` output for <paramref name="count"/> inputs.</summary>
    public static ReplayReferenceVerdicts Parse(string text, int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        var verdicts = new DropReason[count];
        ulong accepted = 0;
        for (int i = 0; i < count; i++)
        {
            verdicts[i] = lines[i] switch
            {
                "accept" => DropReason.None,
                "drop replay_window" => DropReason.ReplayWindow,
                "drop replay" => DropReason.Replay,
                "drop integrity_failed" => DropReason.IntegrityFailed,
                "drop XfrmInStateSeqError" => DropReason.SequenceZero,
                _ => throw new FormatException($"lab esp replay line {i + 1}: expected accept or drop REASON, found '{lines[i]}'"),
            };
            if (verdicts[i] == DropReason.None) accepted++;
        }
        // replay mode ... / stats: / "  replay-window A replay B failed C" / XfrmInStateSeqError N / XfrmInStateProtoError M
        var stats = lines[count + 2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (stats.Length != 6 || stats[0] != "replay-window" || stats[2] != "replay" || stats[4] != "failed")
            throw new FormatException($"lab esp replay: expected '  replay-window A replay B failed C', found '{lines[count + 2]}'");
        return new ReplayReferenceVerdicts(verdicts, new EspSaCounters(
            ulong.Parse(stats[1], Inv), ulong.Parse(stats[3], Inv), ulong.Parse(stats[5], Inv), accepted,
            Counter(lines[count + 3], "XfrmInStateSeqError"), Counter(lines[count + 4], "XfrmInStateProtoError")));
    }

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    static ulong Counter(string line, string name) =>
        line.StartsWith(name + " ", StringComparison.Ordinal)
            ? ulong.Parse(line[(name.Length + 1)..], Inv)
            : throw new FormatException($"lab esp replay: expected '{name} N', found '{line}'");
}
