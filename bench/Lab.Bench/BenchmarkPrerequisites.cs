using System.Reflection;
using Lab.KernelLab.Netns;

namespace Lab.Bench;

/// <summary>
/// Marks a benchmark class that needs something a machine may lack (root, network namespaces).
/// Where it is missing, the host leaves the class out of the run and prints the reason, rather
/// than letting its [GlobalSetup] throw inside BenchmarkDotNet (an error and a failed run).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public abstract class BenchmarkPrerequisiteAttribute : Attribute
{
    /// <summary>Why the benchmark cannot run on this machine, or null when it can.</summary>
    public abstract string? UnavailableReason();

    /// <summary>The reason a benchmark class cannot run here (its first unmet prerequisite), or null.</summary>
    public static string? UnavailableReason(Type benchmarkType)
    {
        foreach (var p in benchmarkType.GetCustomAttributes<BenchmarkPrerequisiteAttribute>())
        {
            if (p.UnavailableReason() is { } reason) return reason;
        }
        return null;
    }
}

/// <summary>
/// Needs network namespaces and veth pairs built with iproute2 (root). Beyond the static checks
/// of <see cref="NetnsTopology.UnavailableReason"/>, it builds and removes one namespace with a
/// veth pair once per process, so that a root shell without CAP_SYS_ADMIN (a container) is told
/// the reason too.
/// </summary>
public sealed class RequiresNetnsAttribute : BenchmarkPrerequisiteAttribute
{
    static readonly Lazy<string?> Probe = new(ProbeOnce);

    public override string? UnavailableReason() => Probe.Value;

    static string? ProbeOnce()
    {
        if (NetnsTopology.UnavailableReason() is { } reason) return reason;
        try
        {
            using var t = new NetnsTopology();
            string ns = t.AddNamespace("probe");
            t.AddVethPair(ns, "veth0", ns, "veth1");
            return null;
        }
        catch (InvalidOperationException e)
        {
            return "cannot build a network namespace with a veth pair: " + e.Message.Trim();
        }
    }
}
