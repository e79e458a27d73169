namespace Lab.KernelLab.Vm;

/// <summary>
/// Whether a <see cref="KernelVm"/> can run on this machine, and why not. Checked once per
/// process; the image build (a download on first use) happens here too, so callers such as
/// test attributes can report "skipped: no network to apt" instead of failing.
/// </summary>
public static class VmPrerequisites
{
    private static readonly Lazy<(VmImage? Image, string? Reason)> s_state = new(Check, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Null when a VM can boot here, else a sentence saying what is missing.</summary>
    public static string? MissingReason => s_state.Value.Reason;

    /// <summary>The built image; throws <see cref="VmUnavailableException"/> with the reason when there is none.</summary>
    public static VmImage Image => s_state.Value.Image ?? throw new VmUnavailableException(s_state.Value.Reason!);

    /// <summary>The host-side checks alone (no build): null when they pass.</summary>
    public static string? HostMissingReason()
    {
        if (!OperatingSystem.IsLinux())
            return "the VM harness needs Linux";
        if (!Environment.IsPrivilegedProcess)
            return "the VM harness needs root (network namespaces and tap devices)";
        if (HostCommand.FindOnPath("qemu-system-x86_64") is null)
            return "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)";
        if (!File.Exists("/dev/net/tun"))
            return "/dev/net/tun is missing (no tap devices)";
        foreach (var tool in new[] { "ip", "bash" })
        {
            if (HostCommand.FindOnPath(tool) is null)
                return $"'{tool}' is not installed";
        }
        return null;
    }

    private static (VmImage?, string?) Check()
    {
        var reason = HostMissingReason();
        if (reason is not null)
            return (null, reason);
        try
        {
            return (VmImage.Build(), null);
        }
        catch (VmUnavailableException e)
        {
            return (null, "the VM image could not be built: " + e.Message);
        }
    }
}
