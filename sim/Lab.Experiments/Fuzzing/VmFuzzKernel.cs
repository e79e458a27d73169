using System.Globalization;
using Lab.Core;
using Lab.Experiments.Validation;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;
using Lab.Netfilter;

namespace Lab.Experiments.Fuzzing;

/// <summary>
/// The Debian kernel under qemu for <c>lab fuzz --kernel vm</c>: one guest booted for the whole run (a boot under
/// TCG costs about ten seconds, a case a few), each case played in a network namespace of its own inside it
/// (<see cref="GuestNamespaceDevice"/>: a clean conntrack table, zero counters, no ruleset, no xfrm state or
/// policy, default sysctls) that goes with the case. One case at a time: the guest has one vCPU and the replay
/// is real time. nf_conntrack_max is global (nf_conntrack_standalone.c makes it read-only outside the initial
/// namespace, and __nf_conntrack_alloc compares every namespace's count with the one variable), so a case that
/// sets it has it set from the guest's initial namespace and restored after. Forward cases go through
/// <see cref="ScriptValidation.PlayAndCompare"/> and ESP cases through <see cref="ScriptEspValidation.PlayAndCompare"/>,
/// with the kernel's drop reasons (one case at a time, so one tracing instance).
/// </summary>
public sealed class VmFuzzKernel : IFuzzKernel
{
    readonly VmDeviceUnderTest _guest;
    readonly string _defaultMax;
    int _cases;

    VmFuzzKernel(VmDeviceUnderTest guest, string defaultMax)
    {
        _guest = guest;
        _defaultMax = defaultMax;
        ModelVersion = KernelVersion.FromRelease(guest.KernelRelease).ToString();
    }

    public string Name => "vm";

    public string ModelVersion { get; }

    public FuzzKernelCapabilities Capabilities => FuzzKernelCapabilities.Vm;

    public int Parallelism => 1;

    /// <summary>The booted guest's description (kernel release, boot time).</summary>
    public string Description => _guest.Description;

    /// <summary>Boots the guest and loads conntrack in it (so its default nf_conntrack_max can be read and restored).</summary>
    /// <exception cref="ParameterException">For the kernel value vm: no VM here (the reason named), or the guest did not come up.</exception>
    public static VmFuzzKernel Open(CancellationToken cancellation = default)
    {
        VmDeviceUnderTest guest;
        try
        {
            guest = VmDeviceUnderTest.Boot(cancellation);
        }
        catch (Exception e) when (e is VmUnavailableException or VmException)
        {
            throw ParameterException.ForValue("kernel", "vm", $"cannot run here: {e.Message}");
        }
        try
        {
            string max = guest.Run("modprobe nf_conntrack 2>/dev/null; cat /proc/sys/net/netfilter/nf_conntrack_max").Trim();
            if (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new VmException($"the guest's nf_conntrack_max reads '{max}'");
            return new VmFuzzKernel(guest, max);
        }
        catch (Exception e) when (e is VmException or TimeoutException)
        {
            guest.Dispose();
            throw ParameterException.ForValue("kernel", "vm", $"the guest has no working conntrack: {e.Message}");
        }
    }

    public ScriptKernelOutcome Play(ScriptModelRun model, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(model);
        int? max = model.Trace.Dut.ConntrackMax;
        try
        {
            if (max is { } m) _guest.RunGuestWide(string.Create(CultureInfo.InvariantCulture, $"echo {m} > /proc/sys/net/netfilter/nf_conntrack_max"));
            using var ns = CaseNamespace();
            var outcome = ScriptValidation.PlayAndCompare(ns, model, null, cancellation, dropReasons: true);
            if (outcome.Run is { } run && max is not null)
            {
                // The forward script's own write fails in the namespace (read-only there); the value was set guest-wide.
                outcome = outcome with { Run = run with { Notes = [.. run.Notes.Where(n => !n.StartsWith("net.netfilter.nf_conntrack_max cannot be set", StringComparison.Ordinal))] } };
            }
            return outcome;
        }
        catch (Exception e) when (e is ValidationHarnessException or VmException or TimeoutException)
        {
            return new ScriptKernelOutcome(_guest.Description, [], null, e.Message);
        }
        finally
        {
            if (max is not null) RestoreMax();
        }
    }

    public ScriptEspKernelOutcome PlayEsp(ScriptEspModelRun model, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            using var ns = CaseNamespace();
            return ScriptEspValidation.PlayAndCompare(ns, model, null, cancellation);
        }
        catch (Exception e) when (e is ValidationHarnessException or VmException or TimeoutException)
        {
            return new ScriptEspKernelOutcome(_guest.Description, [], null, e.Message);
        }
    }

    GuestNamespaceDevice CaseNamespace() =>
        GuestNamespaceDevice.Create(_guest, "labfuzz-" + Interlocked.Increment(ref _cases).ToString(CultureInfo.InvariantCulture));

    void RestoreMax()
    {
        try
        {
            _guest.RunGuestWide($"echo {_defaultMax} > /proc/sys/net/netfilter/nf_conntrack_max");
        }
        catch (Exception e) when (e is VmException or TimeoutException)
        {
            // The guest broke: the next case reports it.
        }
    }

    public void Dispose() => _guest.Dispose();
}
