using Lab.KernelLab.Netfilter;

namespace Lab.Captures.Tests.KernelChecks;

/// <summary>
/// A test that needs the host kernel's netfilter NAT in namespaces: root, iproute2, nft, conntrack
/// and a kernel that accepts a masquerade rule. Skipped with the reason otherwise.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HostNatFactAttribute : FactAttribute
{
    public HostNatFactAttribute()
    {
        if (HostNatRouter.UnavailableReason() is string reason) Skip = reason;
    }
}

/// <summary>One client/router/server set of namespaces for the whole class (removed at the end).</summary>
public sealed class HostNatFixture : IDisposable
{
    public HostNatFixture()
    {
        if (HostNatRouter.UnavailableReason() is null) Router = new HostNatRouter(clients: 4);
    }

    public HostNatRouter? Router { get; }

    public HostNatRouter Get() => Router ?? throw new InvalidOperationException(HostNatRouter.UnavailableReason());

    public void Dispose() => Router?.Dispose();
}
