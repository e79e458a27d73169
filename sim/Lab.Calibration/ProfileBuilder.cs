using System.Globalization;
using Lab.KernelLab.Calibration;
using Lab.Core;
using Lab.Netfilter.Flowtable;
using Lab.Scenarios.Profiles;

namespace Lab.Calibration;

/// <summary>
/// Turns measured stages into a <see cref="CostProfile"/>: the stages as measured, and the model keys of the
/// forward element they determine. Where one stage covers several keys it is split in the proportions of the
/// model's defaults (<see cref="ForwardingCosts"/>), and the key says so in its note.
/// </summary>
public static class ProfileBuilder
{
    public const string Element = "forward";

    /// <summary>
    /// Tuple checks per connection in the nat_setup window, as the model counts them (NatPortAllocator.LastAttempts):
    /// the meter's own tuples are unique, so get_unique_tuple keeps the port after one nf_nat_used_tuple.
    /// </summary>
    public const int NatSetupWindowAttempts = 1;

    public static CostProfile Build(CalibrationResult result, IKernelCostMeter meter, CalibrationOptions options, string machine,
        string labCommit, DateTimeOffset measured)
    {
        var (model, cpus) = meter.Cpu;
        int full = result.FullPasses > 0 ? result.FullPasses : options.Repeat;
        string pin = result.InjectorCpu is int c
            ? $"injector thread pinned to CPU {c} (sched_setaffinity); veth's receive softirq, and so the router's forwarding, runs on the injecting CPU"
            : "injector not pinned";
        if (meter.Emulated) pin += "; the guest's CPUs are qemu TCG threads";
        string accounting = (options.Accounting == "thread"
            ? "CPU time of the injecting thread (CLOCK_THREAD_CPUTIME_ID, steal excluded; it includes the veth receive and forwarding softirqs run in its context, " +
              "not other processes' time nor work deferred to other CPUs) over the injection window, divided by the packets counted at the sink's ingress; "
            : $"busy = user+nice+system+irq+softirq from /proc/stat of the measured kernel (USER_HZ ticks; steal, idle and iowait excluded), " +
              $"summed over all {cpus} CPUs over the injection window, divided by the packets counted at the sink's ingress; ") +
            $"AF_PACKET sendmmsg injection at top speed (PACKET_QDISC_BYPASS), UDP over IPv4; each window is split into {Math.Max(1, options.Blocks)} blocks " +
            $"and the configurations alternate block by block within a pass (ABBA); a stage's value per pass is the median of its paired block " +
            $"differences, over the passes a mean with a 95% Student-t interval; forward_per_byte is ({CalibrationStages.LargeFrame}B forward - its baseline) - " +
            $"({options.FrameBytes}B forward - its baseline) over the {CalibrationStages.LargeFrame - options.FrameBytes} bytes between; windows with a new flow per packet have " +
            $"min(packets, {options.NewFlowPacketCap}) packets and start from an empty conntrack table; the nat_attempt windows " +
            $"({CalibrationStages.ClashPackets} packets a pass after {Lab.KernelLab.Calibration.PortClashPlan.Holders} holding connections) are costed per packet sent, since the router drops them all" +
            (options.Budget is not null
                ? string.Create(CultureInfo.InvariantCulture, $"; after {full} passes of every window ({options.Repeat} asked for; fewer where the next would not have fitted), {result.ExtraPasses} extra passes measured only the stages whose interval was still wider than {options.TargetPercent:0.##}% of their value, while the next pass fitted in {options.Budget.Value.TotalSeconds:0} s (a stage's n is its passes; stopping once narrow makes the 95% slightly optimistic)")
                : "") +
            Regime(result.Samples);
        return new CostProfile
        {
            Machine = machine,
            Measured = measured,
            LabCommit = labCommit,
            Kernel = new ProfileKernel(meter.KernelRelease, meter.Where, meter.Emulated),
            Cpu = new ProfileCpu(model, cpus),
            Method = new ProfileMethod(options.Packets, full, options.FrameBytes, options.Flows, accounting, pin),
            Stages = result.Stages,
            Costs = Costs(result.Stages, meter.Emulated ? CostProfile.EmulatedLabel : null),
        };
    }

    /// <summary>
    /// What the kernel's own counters say about the windows, for the method text: a stage is the cost of forwarded packets
    /// only when no CPU's backlog dropped (softnet_stat "dropped"), and the forwarding ran in the injecting thread's context
    /// when ksoftirqd took no time. Empty where the counters were not read (the VM meter).
    /// </summary>
    public static string Regime(IReadOnlyList<MeterSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var read = samples.Where(s => s.Softnet is not null).ToList();
        if (read.Count == 0) return "";
        long dropped = read.Sum(s => s.BacklogDropped);
        long squeeze = read.Sum(s => s.Softnet!.Sum(c => c.TimeSqueeze));
        long ksoftirqd = read.Sum(s => s.KsoftirqdTicks?.Values.Sum() ?? 0);
        return string.Create(CultureInfo.InvariantCulture,
            $"; kernel counters over the {read.Count} windows: backlog drops {dropped} (softnet_stat dropped), time_squeeze {squeeze}, ksoftirqd {ksoftirqd * 1000 / ProcStat.TicksPerSecond} ms") +
            (dropped == 0 ? " (no packet was injected and then dropped: every busy nanosecond went to a forwarded packet)" : " (packets injected and dropped at a backlog: their CPU is inside the stages)");
    }

    /// <summary>The model keys the measured stages set (none from a stage that was not measured).</summary>
    public static IReadOnlyList<ProfileCost> Costs(IReadOnlyList<ProfileStage> stages, string? label)
    {
        var d = new ForwardingCosts();
        var byName = stages.Where(s => s.IsMeasured).ToDictionary(s => s.Name, StringComparer.Ordinal);
        var costs = new List<ProfileCost>();

        void Split(string stage, params (string Key, long DefaultPs)[] keys)
        {
            if (!byName.TryGetValue(stage, out var s)) return;
            double total = keys.Sum(k => (double)k.DefaultPs);
            string? note = keys.Length == 1 ? null :
                $"{stage} split over {string.Join(", ", keys.Select(k => k.Key))} in the model defaults' proportions " +
                string.Join(":", keys.Select(k => SimTime.Format(k.DefaultPs)));
            foreach (var (key, ps) in keys)
            {
                double share = keys.Length == 1 ? 1 : ps / total;
                costs.Add(Cost(key, s.Ns * share, s.Ci95Low * share, s.Ci95High * share, [stage], note, label));
            }
        }

        Split("forward", ("rx_ingress", d.RxIngress), ("routing", d.Routing), ("forward_chain", d.ForwardChainBase), ("xmit", d.Xmit));
        if (byName.TryGetValue("forward_per_byte", out var perByte))
            costs.Add(Cost("per_byte", perByte.Ns, perByte.Ci95Low, perByte.Ci95High, ["forward_per_byte"],
                "ns per byte of frame beyond 64 B, charged on both paths", label));
        Split("conntrack_lookup", ("conntrack_lookup", d.ConntrackLookup));
        Split("conntrack_new", ("conntrack_create", d.ConntrackCreate), ("confirm", d.Confirm));
        if (byName.TryGetValue("nat_established", out var nat))
        {
            costs.Add(Cost("snat", nat.Ns, nat.Ci95Low, nat.Ci95High, ["nat_established"],
                "all of nat_established: the kernel's nat hooks on an established masqueraded entry (prerouting and postrouting), which the model charges as snat", label));
            costs.Add(Cost("dnat", 0, 0, 0, ["nat_established", "forward"],
                "0: the model charges dnat on every packet, but the kernel runs no nat hook without a nat rule (forward and conntrack_lookup were measured without one) and nat_established is charged as snat", label));
        }
        if (byName.TryGetValue("nat_attempt", out var attempt))
        {
            costs.Add(Cost("per_nat_attempt", attempt.Ns, attempt.Ci95Low, attempt.Ci95High, ["nat_attempt"],
                "one nf_nat_used_tuple check with its hash bucket cache-cold (the stage's table holds 65,536 entries, far beyond the caches, as a CGNAT's does); the model charges it per check NatPortAllocator counts, whatever the table size: a search among a few entries that stay in the cache costs about 44 ns a check (measured 2026-12-06), so for small tables this figure overstates the search", label));
            // The nat_setup window's connections (one source, a distinct port pair each) keep their port after one check
            // (get_unique_tuple: nf_nat_used_tuple on the unchanged tuple); the model charges that check as
            // per_nat_attempt, so nat_setup carries the rest.
            if (byName.TryGetValue("nat_setup", out var setup))
                costs.Add(Cost("nat_setup", setup.Ns - NatSetupWindowAttempts * attempt.Ns,
                    setup.Ci95Low - NatSetupWindowAttempts * attempt.Ns, setup.Ci95High - NatSetupWindowAttempts * attempt.Ns, ["nat_setup", "nat_attempt"],
                    $"nat_setup less the {NatSetupWindowAttempts} tuple check its connections make (charged as per_nat_attempt)", label));
        }
        else
        {
            Split("nat_setup", ("nat_setup", d.NatSetup));
        }
        Split("linear_rule", ("per_linear_rule", d.PerLinearRule));
        Split("set_lookup", ("per_set_lookup", d.PerSetLookup));
        if (byName.TryGetValue("flowtable_fast_path", out var fp))
        {
            // The stage is the router's whole fast-path cost; rx_ingress (from forward) is charged on both paths.
            double rx = costs.FirstOrDefault(c => c.Key == "rx_ingress") is { } r ? r.ValuePs / 1000.0 : d.RxIngress / 1000.0;
            double total = d.FlowtableLookup + d.FastPathXmit;
            foreach (var (key, ps) in new[] { ("flowtable_lookup", d.FlowtableLookup), ("fast_path_xmit", d.FastPathXmit) })
            {
                double share = ps / total;
                costs.Add(Cost(key, (fp.Ns - rx) * share, (fp.Ci95Low - rx) * share, (fp.Ci95High - rx) * share, ["flowtable_fast_path", "forward"],
                    $"flowtable_fast_path less rx_ingress ({CostProfileWriter.Num(rx)} ns), split over flowtable_lookup, fast_path_xmit in the model defaults' proportions {SimTime.Format(d.FlowtableLookup)}:{SimTime.Format(d.FastPathXmit)}", label));
            }
        }
        Split("flow_offload_add", ("flow_offload_add", d.FlowOffloadAdd));
        return costs;
    }

    static ProfileCost Cost(string key, double ns, double lo, double hi, IReadOnlyList<string> from, string? note, string? label)
    {
        if (ns < 0)
        {
            string clamp = string.Create(CultureInfo.InvariantCulture, $"measured {CostProfileWriter.Num(ns)} ns; a cost cannot be negative, so 0");
            note = note is null ? clamp : note + "; " + clamp;
        }
        long ps = Math.Max(0, (long)Math.Round(ns * 1000));
        return new ProfileCost(Element, key, ps, lo, hi, from, note, label);
    }

    /// <summary>A machine label from the host: CPU vendor family, CPU count, where, kernel major.minor (e.g. epyc-2core-host-6.18).</summary>
    public static string DefaultMachine(IKernelCostMeter meter)
    {
        var (model, cpus) = meter.Cpu;
        string family = model.Contains("EPYC", StringComparison.OrdinalIgnoreCase) ? "epyc"
            : model.Contains("Xeon", StringComparison.OrdinalIgnoreCase) ? "xeon"
            : model.Contains("Ryzen", StringComparison.OrdinalIgnoreCase) ? "ryzen"
            : model.Contains("Core", StringComparison.OrdinalIgnoreCase) ? "core"
            : model.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.ToLowerInvariant() ?? "cpu";
        string[] rel = meter.KernelRelease.Split('.', '-');
        string kernel = rel.Length >= 2 ? rel[0] + "." + rel[1] : meter.KernelRelease;
        return string.Create(CultureInfo.InvariantCulture, $"{family}-{cpus}core-{meter.Where}-{kernel} ({Environment.MachineName}, {model})");
    }
}
