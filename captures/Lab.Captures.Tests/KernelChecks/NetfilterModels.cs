using System.Net;
using Lab.Core;
using Lab.Netfilter;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Nat;

namespace Lab.Captures.Tests.KernelChecks;

/// <summary>Helpers shared by the kernel-against-model tests.</summary>
internal static class ModelInputs
{
    /// <summary>The model version for a kernel release such as "6.18.44-fc-v669" or "6.1.0-56-amd64".</summary>
    public static KernelVersion VersionOf(string release) => KernelVersion.FromRelease(release);

    public static uint Ip(IPAddress a)
    {
        byte[] b = a.GetAddressBytes();
        return FlowTuple.Ip(b[0], b[1], b[2], b[3]);
    }

    public static uint Ip(string a) => Ip(IPAddress.Parse(a));

    public static long Ps(TimeSpan t) => SimTime.FromSeconds(t.TotalSeconds);
}

/// <summary>
/// The lab's model of the masquerading router: one <see cref="ConntrackTable"/> and a
/// <see cref="NatPortAllocator"/> with the range nft's <c>masquerade</c> gives (the outgoing interface's
/// one address, no port range: nf_nat_masquerade_ipv4), driven per packet in the kernel's order
/// (lookup, or init + protocol tracker + nf_nat_setup_info + confirm).
/// </summary>
internal sealed class MasqueradeModel
{
    readonly NatRange _range;

    public ConntrackTable Conntrack { get; }
    public NatPortAllocator Nat { get; }

    public MasqueradeModel(KernelVersion version, uint publicAddress, ConntrackTimeouts? timeouts = null, long seed = 1)
    {
        Conntrack = new ConntrackTable(new ConntrackConfig { Buckets = 4096, Max = 8192, Version = version, Seed = seed, Timeouts = timeouts ?? new ConntrackTimeouts() });
        Nat = new NatPortAllocator(Conntrack, seed);
        _range = NatRange.Snat(publicAddress);
    }

    /// <summary>A packet in the original direction; returns the source port it leaves the router with.</summary>
    public ushort Original(in FlowTuple orig, long now)
    {
        int ct = Conntrack.Find(orig, now, out var dir);
        if (ct >= 0)
        {
            Conntrack.HandlePacket(ct, dir, TcpFlags.None, now);
            return Conntrack.Entry(ct).Reply.DstPort;
        }
        ct = Conntrack.InitConntrack(orig, now, out var reason);
        if (ct < 0) throw new InvalidOperationException($"model dropped {orig}: {reason}");
        Conntrack.HandlePacket(ct, CtDir.Original, TcpFlags.None, now);
        Nat.SetupSnat(ct, _range, now);
        ushort port = Conntrack.Entry(ct).Reply.DstPort;
        if (Conntrack.Confirm(ct, now, out _, out var why) != CtVerdict.Accept) throw new InvalidOperationException($"model failed to confirm {orig}: {why}");
        return port;
    }

    /// <summary>A packet in the reply direction (server to the translated address); false if no entry holds it.</summary>
    public bool Reply(in FlowTuple reply, long now)
    {
        int ct = Conntrack.Find(reply, now, out var dir);
        if (ct < 0 || dir != CtDir.Reply) return false;
        Conntrack.HandlePacket(ct, dir, TcpFlags.None, now);
        return true;
    }

    /// <summary>What <c>conntrack -I</c> creates: a confirmed entry for <paramref name="orig"/> without translation.</summary>
    public void Insert(in FlowTuple orig, long now)
    {
        int ct = Conntrack.InitConntrack(orig, now, out var reason);
        if (ct < 0) throw new InvalidOperationException($"model dropped {orig}: {reason}");
        Conntrack.HandlePacket(ct, CtDir.Original, TcpFlags.None, now);
        Conntrack.Confirm(ct, now, out _, out _);
    }

    /// <summary>The live entry for <paramref name="orig"/> at <paramref name="now"/> (expired ones are gone, as in the kernel's dump).</summary>
    public ConnEntry? Lookup(in FlowTuple orig, long now)
    {
        int ct = Conntrack.Find(orig, now, out _);
        return ct < 0 ? null : Conntrack.Entry(ct);
    }
}
