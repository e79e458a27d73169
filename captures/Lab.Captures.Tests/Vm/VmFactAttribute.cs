using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.Vm;

/// <summary>
/// A test that needs the qemu guest: skipped, with the reason, when this machine cannot
/// run it (not root, no qemu, or the kernel image cannot be built, e.g. no network to apt).
/// Checking builds the image once per process (captures/vm/build.sh; cached afterwards).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class VmFactAttribute : FactAttribute
{
    public VmFactAttribute()
    {
        var reason = VmPrerequisites.MissingReason;
        if (reason is not null)
            Skip = reason;
    }
}

/// <summary>The VM test classes share the 2-core machine one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelVmCollection
{
    public const string Name = "kernel-vm";
}
