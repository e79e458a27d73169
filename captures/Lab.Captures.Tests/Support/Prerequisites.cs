using Lab.KernelLab.Netns;

namespace Lab.Captures.Tests.Support;

/// <summary>A test that needs root, iproute2 and network namespaces; skipped with the reason otherwise.</summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (NetnsTopology.UnavailableReason() is string reason) Skip = reason;
    }
}

/// <summary>A test that needs root and tracefs instances (mounted in a private mount namespace); skipped with the reason otherwise.</summary>
public sealed class TracefsFactAttribute : FactAttribute
{
    public TracefsFactAttribute()
    {
        if (NetnsTopology.UnavailableReason() is string reason) Skip = reason;
        else if (!CommandRunner.Run("unshare", ["-m", "--", "sh", "-c", "T=/sys/kernel/tracing; [ -d $T/instances ] || mount -t tracefs nodev $T; test -d $T/instances"]).Succeeded)
            Skip = "this kernel offers no tracefs instances (unshare -m, mount -t tracefs)";
    }
}

/// <summary>A test that needs an external program (tcpdump, tshark); skipped with the reason when it is missing.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool, string debianPackage, bool needsNetns = false)
    {
        if (CommandRunner.FindOnPath(tool) is null) Skip = $"{tool} is not installed (apt-get install {debianPackage})";
        else if (needsNetns && NetnsTopology.UnavailableReason() is string reason) Skip = reason;
    }
}

/// <summary>Kernel tests share two cores with everything else: run them one at a time so that pacing is measured alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelCollection
{
    public const string Name = "kernel";
}

/// <summary>A theory that needs an external program; skipped with the reason when it is missing.</summary>
public sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(string tool, string debianPackage, bool needsNetns = false)
    {
        if (CommandRunner.FindOnPath(tool) is null) Skip = $"{tool} is not installed (apt-get install {debianPackage})";
        else if (needsNetns && NetnsTopology.UnavailableReason() is string reason) Skip = reason;
    }
}
