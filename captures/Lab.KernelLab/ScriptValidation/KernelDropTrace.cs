using System.Globalization;
using System.Text.RegularExpressions;
using Lab.KernelLab.Cleanup;
using Lab.KernelLab.Validation;

namespace Lab.KernelLab.ScriptValidation;

/// <summary>One skb the kernel freed as dropped (the skb:kfree_skb tracepoint), in the order it happened.</summary>
/// <param name="Reason">The enum skb_drop_reason name as the tracepoint prints it (NOT_SPECIFIED, NETFILTER_DROP, ...).</param>
/// <param name="Location">The function that freed it, where the kernel prints it as a symbol (6.3 and later, %pS); else empty.</param>
public sealed record KernelDrop(string Reason, string Location);

/// <summary>
/// Why the kernel dropped packets, as it records it: the <c>skb:kfree_skb</c> tracepoint (include/trace/events/skb.h)
/// carries the <c>enum skb_drop_reason</c> (include/net/dropreason-core.h; in 6.1 include/net/dropreason.h) the dropping
/// function passed to kfree_skb_reason, NOT_SPECIFIED where it called plain kfree_skb. The events go into a tracing
/// instance of the lab's own (tracefs <c>instances/lab-drops-PID</c>), so the global trace and other users' instances are
/// untouched; tracefs is mounted where it is not (inside the DUT's mount namespace: on the host <c>ip netns exec</c>
/// gives every command a private one, so nothing shows outside). Only IPv4 (and, when asked, IPv6) skbs are kept. The
/// tracepoint is global: on a shared host, drops in other namespaces would land in the same buffer. A frame the harness
/// sends into a veth is handled in the sending thread's own softirq (veth_xmit, __netif_rx, then do_softirq when
/// dev_queue_xmit re-enables bottom halves), so on the host the filter also keeps only events whose common_pid is the
/// sending thread; a drop handled by ksoftirqd instead is then missed, and the comparison pairs events with packets
/// only when the counts match (<see cref="Pair"/>).
/// <para>
/// Every trace has an instance of its own (<c>lab-drops-PID-N</c>, N counting the process's traces), so plays at once in
/// one process (<c>lab fuzz</c>) each read their own buffer, filtered to their own sending thread, and removing one
/// play's instance leaves the others tracing.
/// </para>
/// </summary>
public sealed partial class KernelDropTrace
{
    readonly IDeviceUnderTest _dut;
    readonly string _dir;
    readonly string _name;

    KernelDropTrace(IDeviceUnderTest dut, string dir, string name)
    {
        _dut = dut;
        _dir = dir;
        _name = name;
    }

    static int _started;

    /// <summary>The tracefs instance's name (unique within the machine while this process runs).</summary>
    public string Name => _name;

    const string Mount = "T=/sys/kernel/tracing; [ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null || { echo 'no tracefs'; exit 3; }; ";

    /// <summary>Starts tracing drops in <paramref name="dut"/>; returns null with <paramref name="unavailable"/> saying why where the kernel has no tracefs or no kfree_skb tracepoint with a reason.</summary>
    /// <param name="ipv6">Keep IPv6 skbs too.</param>
    /// <param name="thread">Keep only events in this thread's context (the host's sending thread, <see cref="CurrentThreadId"/>); null: all.</param>
    public static KernelDropTrace? Start(IDeviceUnderTest dut, out string? unavailable, bool ipv6 = true, int? thread = null)
    {
        ArgumentNullException.ThrowIfNull(dut);
        string name = string.Create(CultureInfo.InvariantCulture, $"lab-drops-{Environment.ProcessId}-{Interlocked.Increment(ref _started)}");
        string dir = "/sys/kernel/tracing/instances/" + name;
        // A kill would leave the instance tracing (on the host; a guest's ends with its VM): the next lab run removes it.
        OwnedResources.Mark(OwnedKind.TraceInstance, name);
        var (code, output) = dut.TryRun(Mount +
            "grep -q 'field:enum skb_drop_reason reason' $T/events/skb/kfree_skb/format 2>/dev/null || { echo 'no skb:kfree_skb tracepoint with a drop reason'; exit 3; }; " +
            $"D={dir}; [ -d $D ] || mkdir $D || exit 3; " +
            $"echo '{Filter(ipv6, thread)}' > $D/events/skb/kfree_skb/filter && echo 1 > $D/events/skb/kfree_skb/enable && echo > $D/trace");
        if (code != 0)
        {
            OwnedResources.Unmark(OwnedKind.TraceInstance, name);
            unavailable = $"the {dut.KernelRelease} kernel's drop reasons cannot be read: {output.Trim()}";
            return null;
        }
        unavailable = null;
        return new KernelDropTrace(dut, dir, name);
    }

    static string Filter(bool ipv6, int? thread)
    {
        string protocol = ipv6 ? "(protocol == 2048 || protocol == 34525)" : "protocol == 2048";
        return thread is int t ? string.Create(CultureInfo.InvariantCulture, $"{protocol} && common_pid == {t}") : protocol;
    }

    /// <summary>The kernel's id of the calling thread (what the tracepoint's common_pid shows for work done in its context).</summary>
    public static int CurrentThreadId()
    {
        string target = new DirectoryInfo("/proc/thread-self").LinkTarget ?? throw new IOException("/proc/thread-self is not a link");
        return int.Parse(target[(target.LastIndexOf('/') + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>The shell text that prints the drops recorded since the last read and clears them (to be batched into a probe's command).</summary>
    public string ReadScript => $"{Mount}cat {_dir}/trace; echo > {_dir}/trace";

    /// <summary>Reads and clears the drops recorded so far.</summary>
    public IReadOnlyList<KernelDrop> Read() => Parse(_dut.Run(ReadScript));

    /// <summary>Removes the instance (its buffer and its enabled event).</summary>
    public void Stop()
    {
        _dut.TryRun($"{Mount}rmdir {_dir}");
        OwnedResources.Unmark(OwnedKind.TraceInstance, _name);
    }

    /// <summary>The kfree_skb lines of a trace buffer, in order; other lines (the header, comments) are skipped.</summary>
    public static IReadOnlyList<KernelDrop> Parse(string trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var drops = new List<KernelDrop>();
        foreach (var line in trace.Split('\n'))
        {
            var m = EventLine().Match(line);
            if (!m.Success) continue;
            string location = m.Groups["loc"].Value;
            // Before 6.3 the location is printed with %p: a hashed pointer, or "(____ptrval____)" early after boot; not a symbol.
            if (location.Length == 0 || location[0] == '(' || char.IsDigit(location[0])) location = "";
            else if (location.IndexOf('+', StringComparison.Ordinal) is int plus and > 0) location = location[..plus];
            drops.Add(new KernelDrop(m.Groups["reason"].Value, location));
        }
        return drops;
    }

    /// <summary>
    /// Pairs the drops recorded in one interval with the packets the kernel dropped in it, in order: one vCPU (or one veth
    /// backlog) handles packets in the order they were sent, so when there are as many events as dropped packets the i-th
    /// event is the i-th packet's. Otherwise nothing is paired (null): another drop shared the buffer, or a drop freed no skb.
    /// </summary>
    public static IReadOnlyList<KernelDrop>? Pair(IReadOnlyList<KernelDrop> events, int droppedPackets)
    {
        ArgumentNullException.ThrowIfNull(events);
        return events.Count == droppedPackets ? events : null;
    }

    [GeneratedRegex(@"kfree_skb: skbaddr=\S+ (?:rx_sk=\S+ )?protocol=\d+ location=(?<loc>\S*) reason: (?<reason>[A-Z0-9_]+)")]
    private static partial Regex EventLine();
}
