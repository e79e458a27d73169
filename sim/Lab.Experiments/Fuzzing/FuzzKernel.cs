using Lab.Core;
using Lab.Experiments.Validation;
using Lab.KernelLab.Netns;
using Lab.KernelLab.ScriptValidation;
using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;
using Lab.Netfilter;

namespace Lab.Experiments.Fuzzing;

/// <summary>
/// A kernel <c>lab fuzz</c> plays cases into: the validator interface both kernels plug into. Each
/// <see cref="Play"/> is one case on a clean device (its conntrack table and <c>conntrack -S</c>
/// counters start at zero, as the model's do), through <see cref="ScriptValidation.PlayAndCompare"/>,
/// the comparison <c>lab validate</c> uses.
/// </summary>
public interface IFuzzKernel : IDisposable
{
    /// <summary>host or vm: the kernel value the front end was given.</summary>
    string Name { get; }

    /// <summary>The kernel version the model imitates (the DUT's).</summary>
    string ModelVersion { get; }

    FuzzKernelCapabilities Capabilities { get; }

    /// <summary>Cases that can be played at once.</summary>
    int Parallelism { get; }

    ScriptKernelOutcome Play(ScriptModelRun model, CancellationToken cancellation);

    /// <summary>An ESP case (drawn only where <see cref="FuzzKernelCapabilities.Esp"/>), through <see cref="ScriptEspValidation.PlayAndCompare"/>.</summary>
    ScriptEspKernelOutcome PlayEsp(ScriptEspModelRun model, CancellationToken cancellation);
}

/// <summary>
/// The host's kernel: every case in its own three fresh network namespaces
/// (<see cref="HostDeviceUnderTest"/>), removed after the case. Namespaces cost about a tenth of a
/// second to build, and a case waits in real time most of its span, so several run at once.
/// </summary>
public sealed class HostFuzzKernel : IFuzzKernel
{
    HostFuzzKernel(string version, int parallelism)
    {
        ModelVersion = version;
        Parallelism = parallelism;
    }

    public string Name => "host";

    public string ModelVersion { get; }

    public FuzzKernelCapabilities Capabilities => FuzzKernelCapabilities.Host;

    public int Parallelism { get; }

    /// <summary>Why cases cannot be played into this host (no namespaces, no nft or conntrack), or null.</summary>
    public static string? UnavailableReason(CancellationToken cancellation = default)
    {
        if (NetnsTopology.UnavailableReason() is { } reason) return reason;
        try
        {
            using var dut = HostDeviceUnderTest.Create(cancellation);
            _ = new ScriptKernelPlayer(dut);
            return null;
        }
        catch (Exception e) when (e is ValidationHarnessException or VmUnavailableException or VmException or IOException)
        {
            return e.Message;
        }
    }

    /// <exception cref="LabInputException">The host cannot play cases (the reason named).</exception>
    public static HostFuzzKernel Open(int parallelism, CancellationToken cancellation = default)
    {
        if (UnavailableReason(cancellation) is { } reason) throw ParameterException.ForValue("kernel", "host", $"cannot run here: {reason}");
        string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        return new HostFuzzKernel(KernelVersion.FromRelease(release).ToString(), parallelism);
    }

    public ScriptKernelOutcome Play(ScriptModelRun model, CancellationToken cancellation)
    {
        using var dut = HostDeviceUnderTest.Create(cancellation);
        // Drop reasons too: each play traces into a tracefs instance of its own, filtered to its own sending thread.
        return ScriptValidation.PlayAndCompare(dut, model, null, cancellation);
    }

    /// <summary>Never asked for: the host's grammar draws no ESP (<see cref="FuzzKernelCapabilities.Host"/>).</summary>
    public ScriptEspKernelOutcome PlayEsp(ScriptEspModelRun model, CancellationToken cancellation) =>
        new(Name, [], null, "the host kernel here has no ESP (xfrm); ESP cases are played in the VM kernel");

    public void Dispose()
    {
        // Every case's namespaces go with the case.
    }
}
