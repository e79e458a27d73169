namespace Lab.KernelLab.Validation;

/// <summary>
/// The fixed addressing of a validation topology, from documentation ranges only (RFC 5737
/// TEST-NET-1/2/3, RFC 2544 benchmarking 198.18.0.0/15, RFC 3849 2001:db8::/32), inside
/// namespaces the lab created. The host side sends ESP to the DUT's ingress address; the
/// DUT decrypts and routes the inner packets out of its egress interface to the capture.
/// <code>
///   sender 192.0.2.1 / 2001:db8:1::1 --ingress-- 192.0.2.2 / 2001:db8:1::2 DUT
///   DUT 198.18.0.2 / 2001:db8:2::2 --egress-- 198.18.0.1 / 2001:db8:2::1 receiver (capture)
///   inner packets (tunnel mode): 198.51.100.4 (v4 outer) or .6 (v6 outer) -> 203.0.113.1,
///                                2001:db8:100::4 or ::6 -> 2001:db8:203::1
/// </code>
/// The inner source names the outer family, so each (inner, outer) family pair gets its own
/// forward policy (a template fixes the outer addresses) without overlapping selectors.
/// </summary>
public static class DutAddresses
{
    public const string HostIngress4 = "192.0.2.1";
    public const string DutIngress4 = "192.0.2.2";
    public const string HostIngress6 = "2001:db8:1::1";
    public const string DutIngress6 = "2001:db8:1::2";

    public const string DutEgress4 = "198.18.0.2";
    public const string Receiver4 = "198.18.0.1";
    public const string DutEgress6 = "2001:db8:2::2";
    public const string Receiver6 = "2001:db8:2::1";

    public const string InnerDestination4 = "203.0.113.1";
    public const string InnerDestinationNet4 = "203.0.113.0/24";
    public const string InnerDestination6 = "2001:db8:203::1";
    public const string InnerDestinationNet6 = "2001:db8:203::/48";

    /// <summary>Inner UDP ports: the discard port (RFC 863) as destination.</summary>
    public const ushort InnerSourcePort = 40000;
    public const ushort InnerDestinationPort = 9;

    public static string InnerSource(bool innerIpv6, bool outerIpv6) =>
        innerIpv6 ? (outerIpv6 ? "2001:db8:100::6" : "2001:db8:100::4") : (outerIpv6 ? "198.51.100.6" : "198.51.100.4");
}
