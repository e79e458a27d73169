using System.Globalization;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.TestSupport;

/// <summary>How to run a <see cref="FlowtableCheck"/>.</summary>
public sealed record FlowtableCheckOptions
{
    /// <summary>Bytes the client sends (in 64 KiB blocks): 4 MiB is about 4,000 data segments and 2,000 ACKs.</summary>
    public int TransferKiB { get; init; } = 4096;

    /// <summary>
    /// <c>flow add @ft</c> in the forward chain and the flowtable on both veths. False is the control run:
    /// the same transfer on the classic path, where the forward chain must count every packet.
    /// </summary>
    public bool FlowAdd { get; init; } = true;

    /// <summary>The guest command's time limit (the transfer runs under software emulation).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(300);
}

/// <summary>
/// What the guest kernel showed. Packet counts come from netdev ingress chains at priority -500 on the
/// router's two veths, which see every TCP packet before the flowtable's ingress hook (priority 0)
/// does, so they count the fast path and the classic path alike; <see cref="ForwardChainPackets"/>
/// is the counter of the forward chain's first rule. The samples are <c>conntrack -L</c> runs taken
/// one after another while the transfer ran.
/// </summary>
public sealed record FlowtableObservation(
    string KernelRelease,
    bool FlowAdd,
    long BytesSent,
    long BytesReceived,
    long ForwardChainPackets,
    long OriginalPackets,
    long OriginalBytes,
    long OriginalSyn,
    long OriginalFin,
    long ReplyPackets,
    long ReplyBytes,
    long ReplySyn,
    long ReplyFin,
    int Samples,
    int OffloadSamples,
    ConntrackEntry? OffloadedEntry,
    ConntrackEntry? FinalEntry,
    double TransferSeconds)
{
    /// <summary>All TCP packets the router received, both directions.</summary>
    public long PacketsForwarded => OriginalPackets + ReplyPackets;
}

/// <summary>
/// The nftables flowtable fast path on the qemu guest's kernel (net/netfilter/nf_flow_table_core.c,
/// nf_flow_table_ip.c, nft_flow_offload.c; the check of tools/testing/selftests/net/netfilter/nft_flowtable.sh).
/// Inside the guest: namespaces <c>c</c> (10.1.1.2) and <c>s</c> (10.1.2.2) each joined by a veth to
/// the guest's root namespace, which routes between them (veth0 10.1.1.1, veth1 10.1.2.1) with a
/// flowtable on both veths and <c>flow add @ft</c> in the forward chain. A busybox <c>nc</c> sends
/// the transfer from c to s. gso_max_segs 1 on the endpoints makes every TCP segment its own packet
/// (veth would otherwise carry 64 KB GSO packets, and the counts would be of those).
/// Everything happens in one guest script; the guest is left as it was (namespaces, ruleset, veths removed).
/// </summary>
public static class FlowtableCheck
{
    public const string ClientAddress = "10.1.1.2";
    public const string ServerAddress = "10.1.2.2";
    public const ushort ServerPort = 5001;

    public static FlowtableObservation Run(KernelVm vm, FlowtableCheckOptions? options = null)
    {
        var o = options ?? new FlowtableCheckOptions();
        if (o.TransferKiB is < 64 or > 1 << 20) throw new ArgumentOutOfRangeException(nameof(options), o.TransferKiB, "64 KiB to 1 GiB");
        vm.WriteFile("/tmp/labft.nft", Ruleset(o.FlowAdd));
        var result = vm.Run(Script(o.TransferKiB / 64), o.Timeout);
        var values = ParseValues(result.Stdout);
        if (result.ExitCode != 0 || !values.ContainsKey("done"))
            throw new VmCommandException($"flowtable check failed in the guest (exit {result.ExitCode}): {result.Stderr.Trim()}\n{result.Stdout}");

        var counters = NftCounters.Parse(values["counters"]);
        long C(string name) => counters.TryGetValue(name, out var c) ? c.Packets : throw new FormatException($"nft counter '{name}' missing: {values["counters"]}");
        long B(string name) => counters[name].Bytes;
        var offloaded = values.TryGetValue("offload_line", out var line) && line.Length > 0 ? ConntrackListing.Parse(line).FirstOrDefault() : null;
        var final = ConntrackListing.Parse(values.GetValueOrDefault("final", "")).FirstOrDefault(e => e.Original.DestinationPort == ServerPort);
        double t0 = Seconds(values["t0"]), t1 = Seconds(values["t1"]);
        return new FlowtableObservation(
            values["release"], o.FlowAdd,
            (long)o.TransferKiB / 64 * 65536, long.Parse(values["received"], CultureInfo.InvariantCulture),
            C("forwarded"),
            C("orig_tcp"), B("orig_tcp"), C("orig_syn"), C("orig_fin"),
            C("reply_tcp"), B("reply_tcp"), C("reply_syn"), C("reply_fin"),
            int.Parse(values["samples"], CultureInfo.InvariantCulture), int.Parse(values["offload_samples"], CultureInfo.InvariantCulture),
            offloaded, final, t1 - t0);
    }

    /// <summary>The router's ruleset: counting at ingress, the flowtable, and the forward chain.</summary>
    public static string Ruleset(bool flowAdd) => $$"""
        table netdev labcount {
          counter orig_tcp { }
          counter orig_syn { }
          counter orig_fin { }
          counter reply_tcp { }
          counter reply_syn { }
          counter reply_fin { }
          chain from_client {
            type filter hook ingress device "veth0" priority -500; policy accept;
            ip protocol tcp counter name "orig_tcp"
            tcp flags & syn == syn counter name "orig_syn"
            tcp flags & fin == fin counter name "orig_fin"
          }
          chain from_server {
            type filter hook ingress device "veth1" priority -500; policy accept;
            ip protocol tcp counter name "reply_tcp"
            tcp flags & syn == syn counter name "reply_syn"
            tcp flags & fin == fin counter name "reply_fin"
          }
        }
        table inet labft {
        {{(flowAdd ? "  flowtable ft {\n    hook ingress priority 0; devices = { veth0, veth1 };\n  }\n" : "")}}  counter forwarded { }
          chain forward {
            type filter hook forward priority filter; policy accept;
            ip protocol tcp counter name "forwarded"
        {{(flowAdd ? "    ip protocol tcp flow add @ft\n" : "")}}  }
        }
        """;

    /// <summary>The guest script: topology, ruleset, transfer with conntrack sampling, results as key=value lines.</summary>
    static string Script(int blocks) => $$"""
        set -e
        cleanup() {
          nft delete table inet labft 2>/dev/null || true
          nft delete table netdev labcount 2>/dev/null || true
          ip netns del c 2>/dev/null || true
          ip netns del s 2>/dev/null || true
          conntrack -F 2>/dev/null || true
        }
        cleanup
        trap cleanup EXIT
        sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        for n in c s; do
          ip netns add $n
          ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
          ip -n $n link set lo up
        done
        ip link add veth0 type veth peer name eth0 netns c
        ip link add veth1 type veth peer name eth0 netns s
        ip addr add 10.1.1.1/24 dev veth0
        ip addr add 10.1.2.1/24 dev veth1
        ip link set veth0 up
        ip link set veth1 up
        ip -n c addr add {{ClientAddress}}/24 dev eth0
        ip -n s addr add {{ServerAddress}}/24 dev eth0
        for n in c s; do
          ip -n $n link set eth0 gso_max_segs 1
          ip -n $n link set eth0 up
        done
        ip -n c route add default via 10.1.1.1
        ip -n s route add default via 10.1.2.1
        sysctl -qw net.ipv4.ip_forward=1
        nft -f /tmp/labft.nft
        conntrack -F 2>/dev/null || true

        # The server's stdin is a fifo held open read-write: it never reads EOF there, so it sends
        # nothing and closes only after the client's FIN.
        rm -f /tmp/labft.hold; mkfifo /tmp/labft.hold; exec 3<>/tmp/labft.hold
        ip netns exec s nc -l -p {{ServerPort}} <&3 | wc -c > /tmp/labft.received &
        server=$!
        sleep 0.3
        t0=$(cut -d' ' -f1 /proc/uptime)
        dd if=/dev/zero bs=65536 count={{blocks}} 2>/dev/null | ip netns exec c nc {{ServerAddress}} {{ServerPort}} >/dev/null &
        client=$!
        samples=0; offload=0; offload_line=
        while kill -0 $client 2>/dev/null; do
          line=$(conntrack -L -p tcp 2>/dev/null | grep "dport={{ServerPort}} " | head -n1 || true)
          [ -n "$line" ] || continue
          samples=$((samples+1))
          case "$line" in *"[OFFLOAD]"*) offload=$((offload+1)); [ -n "$offload_line" ] || offload_line="$line";; esac
          sleep 0.2
        done
        wait $client
        t1=$(cut -d' ' -f1 /proc/uptime)
        wait $server
        exec 3>&-
        echo "release=$(uname -r)"
        echo "t0=$t0"
        echo "t1=$t1"
        echo "received=$(cat /tmp/labft.received | tr -d ' ')"
        echo "samples=$samples"
        echo "offload_samples=$offload"
        echo "offload_line=$offload_line"
        echo "final=$(conntrack -L -p tcp 2>/dev/null | grep "dport={{ServerPort}} " | head -n1)"
        echo "counters=$( (nft list counters table netdev labcount; nft list counters table inet labft) | tr '\n\t' '  ')"
        echo "done=1"
        """;

    static double Seconds(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    static Dictionary<string, string> ParseValues(string stdout)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in stdout.Split('\n'))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) d[line[..eq]] = line[(eq + 1)..].Trim();
        }
        return d;
    }
}
