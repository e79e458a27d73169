using Lab.Captures.Calibration;

namespace Lab.Captures.TimingValidation;

/// <summary>A kernel a timing validation measures: configures the router and measures one load.</summary>
public interface ITimingKernel : IDisposable
{
    /// <summary>"host kernel 6.18.0-..." or the guest's release with "(emulated)".</summary>
    string Description { get; }

    /// <summary>True under software emulation: the timings are labelled not meaningful.</summary>
    bool Emulated { get; }

    /// <summary>Null, or why the kernel refused the configuration (a feature it lacks).</summary>
    string? TryConfigure(RouterConfig config);

    MeterSample Measure(RouterConfig config, MeterLoad load, CancellationToken ct);
}

/// <summary>The host kernel in namespaces the meter builds and removes (<see cref="KernelCostMeter"/>).</summary>
public sealed class HostTimingKernel : ITimingKernel
{
    readonly KernelCostMeter _meter = new();

    public string Description => $"host kernel {KernelCostMeter.KernelRelease}";

    public bool Emulated => false;

    /// <summary>Why this machine cannot run the meter, or null.</summary>
    public static string? UnavailableReason() => KernelCostMeter.UnavailableReason();

    public string? TryConfigure(RouterConfig config) => _meter.TryConfigure(config);

    public MeterSample Measure(RouterConfig config, MeterLoad load, CancellationToken ct) => _meter.Measure(config, load, ct);

    public void Dispose() => _meter.Dispose();
}
