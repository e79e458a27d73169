namespace Lab.Experiments.Fuzzing;

/// <summary>A shrunk case with the run that showed its disagreement last, and how many candidate cases were tried.</summary>
public sealed record ShrinkResult(FuzzCaseResult Result, int Attempts, bool Complete);

/// <summary>
/// Reduces a disagreeing case while it still disagrees in the same (primary) kind: greedy passes
/// over smaller candidates, in this order: drop a flow, drop a probe, drop a packet, drop the NAT
/// statement or make it plain masquerade, drop one NAT flag, the port range, the address range, a
/// timeout, tcp_loose, conntrack_max, the flowtable, reset a frame size to 64 B, start the script at
/// 0. Each pass plays a batch of candidates at once (as many as the kernel runs in parallel) and
/// keeps the first in that order that still disagrees, then starts again from it; it stops when no
/// candidate does (a candidate played late, <see cref="FuzzCaseResult.OnTime"/>, does not count) (a local minimum: removing any one thing makes the disagreement go) or after
/// <c>maxAttempts</c> candidates. Candidates whose first packet of a flow would be a reply are not
/// tried. The order of candidates and the choice are fixed, so a deterministic disagreement always
/// shrinks to the same case.
/// </summary>
public sealed class FuzzShrinker(FuzzCaseRunner runner, int maxAttempts = 200)
{
    public ShrinkResult Shrink(FuzzCaseResult failing, CancellationToken cancellation, Func<bool>? outOfTime = null)
    {
        ArgumentNullException.ThrowIfNull(failing);
        if (failing.Agrees) throw new ArgumentException("the case agrees: nothing to shrink", nameof(failing));
        string kind = failing.Kinds[0];
        var current = failing;
        int attempts = 0, batch = Math.Max(1, runner.Kernel.Parallelism);
        while (true)
        {
            var candidates = Candidates(current.Case).Where(c => c.IsPlayable).ToList();
            FuzzCaseResult? next = null;
            for (int start = 0; start < candidates.Count && next is null; start += batch)
            {
                if (attempts >= maxAttempts || outOfTime?.Invoke() == true) return new ShrinkResult(current, attempts, false);
                var slice = candidates.Skip(start).Take(Math.Min(batch, maxAttempts - attempts)).ToList();
                attempts += slice.Count;
                var results = new FuzzCaseResult[slice.Count];
                Parallel.For(0, slice.Count, new ParallelOptions { MaxDegreeOfParallelism = batch, CancellationToken = cancellation },
                    i => results[i] = runner.Run(slice[i], cancellation));
                next = results.FirstOrDefault(r => r.OnTime && r.Kinds.Contains(kind, StringComparer.Ordinal));
            }
            if (next is null) return new ShrinkResult(current, attempts, true);
            current = next;
        }
    }

    /// <summary>Every case one step smaller or simpler than <paramref name="c"/>, in the order tried.</summary>
    public static IEnumerable<FuzzCase> Candidates(FuzzCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Flows.Count > 1)
            foreach (var f in c.Flows)
                yield return c with { Flows = [.. c.Flows.Where(x => x != f)], Packets = [.. c.Packets.Where(p => p.Flow != f.Label)] };
        for (int i = 0; i < c.ProbesMs.Count; i++)
            yield return c with { ProbesMs = [.. c.ProbesMs.Where((_, k) => k != i)] };
        for (int i = 0; i < c.Packets.Count; i++)
        {
            var packets = c.Packets.Where((_, k) => k != i).ToList();
            var flows = c.Flows.Where(f => packets.Any(p => p.Flow == f.Label)).ToList();
            if (packets.Count > 0) yield return c with { Packets = packets, Flows = flows };
        }
        if (c.Nat is { } nat)
        {
            yield return c with { Nat = null };
            if (!nat.IsPlain) yield return c with { Nat = new FuzzNat(true, null, null, []) };
            for (int i = 0; i < nat.Flags.Count; i++) yield return c with { Nat = nat with { Flags = [.. nat.Flags.Where((_, k) => k != i)] } };
            if (nat.Ports is not null) yield return c with { Nat = nat with { Ports = null } };
            if (nat.Address is not null) yield return c with { Nat = nat with { Address = null } };
        }
        for (int i = 0; i < c.Timeouts.Count; i++) yield return c with { Timeouts = [.. c.Timeouts.Where((_, k) => k != i)] };
        if (c.TcpLoose is not null) yield return c with { TcpLoose = null };
        if (c.ConntrackMax is not null) yield return c with { ConntrackMax = null };
        if (c.Flowtable) yield return c with { Flowtable = false };
        for (int i = 0; i < c.Packets.Count; i++)
            if (c.Packets[i].Size != 64) yield return c with { Packets = [.. c.Packets.Select((p, k) => k == i ? p with { Size = 64 } : p)] };
        int first = Math.Min(c.Packets.Count > 0 ? c.Packets[0].AtMs : 0, c.ProbesMs.Count > 0 ? c.ProbesMs.Min() : int.MaxValue);
        if (first > 0)
            yield return c with { Packets = [.. c.Packets.Select(p => p with { AtMs = p.AtMs - first })], ProbesMs = [.. c.ProbesMs.Select(t => t - first)] };
    }
}
