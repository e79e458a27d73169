using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.Validation;

/// <summary>A theory that needs the qemu guest; skipped with the reason where it cannot run.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class VmTheoryAttribute : TheoryAttribute
{
    public VmTheoryAttribute()
    {
        var reason = VmPrerequisites.MissingReason;
        if (reason is not null)
            Skip = reason;
    }
}
