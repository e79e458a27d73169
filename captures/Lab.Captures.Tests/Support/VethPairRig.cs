using Lab.KernelLab.Netns;

namespace Lab.Captures.Tests.Support;

/// <summary>A sender and a receiver namespace joined by a veth pair (veth0 -> veth1), IPv6 off so only the test's frames cross.</summary>
internal static class VethPairRig
{
    public static (NetnsTopology Topology, string Sender, string Receiver) Create()
    {
        var t = new NetnsTopology();
        try
        {
            string a = t.AddNamespace("snd");
            string b = t.AddNamespace("rcv");
            t.DisableIpv6(a);
            t.DisableIpv6(b);
            t.AddVethPair(a, "veth0", b, "veth1", TestFrames.SenderMac, TestFrames.ReceiverMac);
            return (t, a, b);
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }
}
