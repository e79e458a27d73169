using System.Net;
using Lab.KernelLab.Netfilter;

namespace Lab.Captures.Tests.KernelChecks;

public class ConntrackListingTests
{
    // Lines as conntrack v1.4.7 printed them on the host (6.18) and in the qemu guest (6.1).
    const string Unreplied = "udp      17 29 src=10.0.1.3 dst=10.0.2.2 sport=40000 dport=7001 [UNREPLIED] src=10.0.2.2 dst=10.0.2.1 sport=7001 dport=46550 mark=0 use=1";
    const string Established = "tcp      6 431945 ESTABLISHED src=10.0.1.2 dst=10.0.2.2 sport=49584 dport=5001 src=10.0.2.2 dst=10.0.1.2 sport=5001 dport=49584 [ASSURED] mark=0 use=1";
    const string Offloaded = "tcp      6 src=10.0.1.2 dst=10.0.2.2 sport=49584 dport=5001 src=10.0.2.2 dst=10.0.1.2 sport=5001 dport=49584 [OFFLOAD] mark=0 use=2";

    [Fact]
    public void Unreplied_udp_entry_with_masquerade_names_the_translated_port()
    {
        var e = Assert.Single(ConntrackListing.Parse(Unreplied + "\n"));
        Assert.Equal(("udp", 17, 29, (string?)null), (e.Protocol, e.ProtocolNumber, e.TimeoutSeconds, e.State));
        Assert.Equal(new ConntrackTupleText(IPAddress.Parse("10.0.1.3"), IPAddress.Parse("10.0.2.2"), 40000, 7001), e.Original);
        Assert.Equal(new ConntrackTupleText(IPAddress.Parse("10.0.2.2"), IPAddress.Parse("10.0.2.1"), 7001, 46550), e.Reply);
        Assert.Equal((ushort)46550, e.TranslatedSourcePort);
        Assert.Equal((true, false, false, false), (e.Unreplied, e.Assured, e.Offload, e.HardwareOffload));
    }

    [Fact]
    public void Tcp_entry_has_a_state_and_offloaded_entry_has_neither_timeout_nor_state()
    {
        var entries = ConntrackListing.Parse(Established + "\n" + Offloaded + "\nconntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n");
        Assert.Equal(2, entries.Count);
        Assert.Equal((431945, "ESTABLISHED", true, false), (entries[0].TimeoutSeconds, entries[0].State, entries[0].Assured, entries[0].Offload));
        Assert.Equal((null, null, false, true), (entries[1].TimeoutSeconds, entries[1].State, entries[1].Assured, entries[1].Offload));
        Assert.Equal((ushort)49584, entries[1].Original.SourcePort);
        Assert.Equal((ushort)5001, entries[1].Reply.SourcePort);
    }

    [Fact]
    public void Empty_output_has_no_entries_and_a_line_without_two_tuples_is_an_error()
    {
        Assert.Empty(ConntrackListing.Parse(""));
        var e = Assert.Throws<FormatException>(() => ConntrackListing.Parse("udp 17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 mark=0"));
        Assert.Contains("line 1", e.Message, StringComparison.Ordinal);
    }
}

public class NftCountersTests
{
    [Fact]
    public void Named_counters_are_read_with_packets_and_bytes()
    {
        const string output = """
            table inet labft {
            	counter fwd_all {
            		packets 7 bytes 380
            	}
            	counter "fwd_tcp" {
            		packets 16146 bytes 24000000
            	}
            }
            """;
        var c = NftCounters.Parse(output);
        Assert.Equal(new NftCounter(7, 380), c["fwd_all"]);
        Assert.Equal(new NftCounter(16146, 24_000_000), c["fwd_tcp"]);
        Assert.Equal(2, c.Count);
    }

    [Fact]
    public void Counter_block_without_values_is_an_error()
    {
        Assert.Throws<FormatException>(() => NftCounters.Parse("table inet t {\n counter x {\n }\n}"));
    }
}
