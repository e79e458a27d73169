namespace Lab.KernelLab.Calibration;

/// <summary>A kernel whose per-packet costs can be measured: the host's (<see cref="KernelCostMeter"/>) or a guest's.</summary>
public interface IKernelCostMeter : IDisposable
{
    /// <summary>uname -r of the measured kernel.</summary>
    string KernelRelease { get; }

    /// <summary>host or vm.</summary>
    string Where { get; }

    /// <summary>True when the kernel runs under software emulation: its times are not speeds.</summary>
    bool Emulated { get; }

    /// <summary>The measured kernel's CPU model and CPU count.</summary>
    (string Model, int Cpus) Cpu { get; }

    /// <summary>The CPU the injector should be pinned to for stable numbers, or null where that does not apply.</summary>
    int? SuggestedInjectorCpu { get; }

    /// <summary>The most packets a window with a new flow per packet may have before the conntrack table could fill.</summary>
    long MaxNewFlowsPerWindow { get; }

    /// <summary>Configures the router; null when the kernel took it, else its refusal.</summary>
    string? TryConfigure(RouterConfig config);

    /// <summary>Why the ESP stages are not measured on this kernel, found by trying to add an AES-GCM SA.</summary>
    string EspNotMeasuredReason();

    MeterSample Measure(RouterConfig config, MeterLoad load, CancellationToken ct = default);
}
