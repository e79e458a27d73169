using Lab.KernelLab.Calibration;
using Lab.Core;

namespace Lab.Calibration;

/// <summary>The meter for <c>lab calibrate --kernel</c>: this machine's kernel in namespaces (host) or the Debian kernel under qemu (vm).</summary>
public static class KernelCostMeters
{
    public static IKernelCostMeter For(string kernel) => kernel switch
    {
        "host" => KernelCostMeter.UnavailableReason() is string why
            ? throw ParameterException.ForValue("kernel", "host", $"cannot measure this machine's kernel: {why}")
            : new KernelCostMeter(),
        _ => VmCostMeter.Boot(),
    };
}
