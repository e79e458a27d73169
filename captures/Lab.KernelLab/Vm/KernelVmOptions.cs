namespace Lab.KernelLab.Vm;

/// <summary>How to boot a <see cref="KernelVm"/>. The defaults suit the 2-core CI machines.</summary>
public sealed record KernelVmOptions
{
    /// <summary>
    /// Virtual CPUs. One by default: qemu's software emulation spends a host core per busy
    /// vCPU, the harness itself needs the other, and a single receive CPU keeps the guest's
    /// packet processing in arrival order, as the models assume.
    /// </summary>
    public int Cpus { get; init; } = 1;

    /// <summary>Guest memory; the initramfs unpacks to about 40 MiB of it.</summary>
    public int MemoryMiB { get; init; } = 256;

    /// <summary>Tap/virtio-net links; the guest sees them as eth0, eth1, ...</summary>
    public int Nics { get; init; } = 1;

    /// <summary>Until the guest's control agent says it is ready (5-10 s on an idle machine).</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>For <see cref="KernelVm.Run"/> calls that do not name one.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Appended to the kernel command line.</summary>
    public string ExtraKernelArguments { get; init; } = "";

    /// <summary>The image to boot; null builds or reuses the cached one (<see cref="VmPrerequisites.Image"/>).</summary>
    public VmImage? Image { get; init; }

    /// <summary>Keep the work directory (console.log, qemu's stderr) after Dispose, for debugging.
    /// Also on when the environment variable LAB_VM_KEEP is 1.</summary>
    public bool KeepWorkDirectory { get; init; }

    /// <summary>
    /// Ctrl-C: boot and every command wait on it and throw <see cref="OperationCanceledException"/>
    /// at once (the VM is unusable afterwards; dispose it).
    /// </summary>
    public CancellationToken Cancellation { get; init; }
}
