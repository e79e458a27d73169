using System.Diagnostics;
using System.Globalization;
using System.Net;
using Lab.Captures.AfPacket;
using Lab.Captures.Frames;
using Lab.KernelLab.Netfilter;
using Lab.KernelLab.Netns;

namespace Lab.KernelLab.Calibration;

/// <summary>
/// Measures the host kernel's CPU cost per forwarded packet for a router configuration. It builds, in
/// namespaces it creates and always removes:
/// <code>
///   inj: i0 ──veth── r0 :router: r1 ──veth── s0 :sink      (forwarding: 10.0.0.2 -> 198.51.100.2)
///   inj: i1 ──────────────veth────────────── s1 :sink      (baseline: the same frames, no router)
/// </code>
/// The sink drops every frame at ingress (an nft netdev ingress chain, whose named counter is the delivered
/// count), so nothing above the driver's receive runs there. Neighbours are permanent and IPv6 is off:
/// the only packets are the injected ones. The injector is the lab's AF_PACKET sendmmsg sender with
/// PACKET_QDISC_BYPASS; veth delivers to the peer with netif_rx, and the softirq that forwards the packet
/// runs on the injecting CPU before sendmmsg returns, so at top speed the whole path runs on that CPU.
/// CPU time is /proc/stat's busy time (user+nice+system+irq+softirq, steal excluded) of every CPU over the
/// window, divided by the packets the sink counted.
/// </summary>
public sealed class KernelCostMeter : IKernelCostMeter
{
    const string Inside = "r0";
    const string Outside = "r1";
    const string SinkTable = "labsink";
    // Not in 10.0.0.0/8: a scenario's address plan sends from 10.0.0.1 on, and a source the router owns is martian
    // (fib_validate_source). The inside hosts are behind a gateway whose neighbour is the injector.
    const string RouterInsideAddress = "172.16.0.1";
    const string InsideGateway = "172.16.0.2";
    const string InsideHosts = "10.0.0.0/8";
    /// <summary>Where a scenario's address plan sends (198.18.0.0/15, RFC 2544), routed to the sink.</summary>
    const string PlanDestinations = "198.18.0.0/15";
    const string RouterOutsideAddress = "198.51.100.1";

    public static readonly IPAddress Source = IPAddress.Parse("10.0.0.2");
    public static readonly IPAddress Destination = IPAddress.Parse("198.51.100.2");

    static readonly MacAddress InjectorMac = MacAddress.Parse("02:00:00:00:c0:01");
    static readonly MacAddress RouterInsideMac = MacAddress.Parse("02:00:00:00:c0:02");
    static readonly MacAddress RouterOutsideMac = MacAddress.Parse("02:00:00:00:c1:01");
    static readonly MacAddress SinkMac = MacAddress.Parse("02:00:00:00:c1:02");
    static readonly MacAddress DirectInjectorMac = MacAddress.Parse("02:00:00:00:c2:01");
    static readonly MacAddress DirectSinkMac = MacAddress.Parse("02:00:00:00:c2:02");

    readonly NetnsTopology _topology = new();
    readonly AfPacketSocket _routed;
    readonly AfPacketSocket _direct;
    readonly AfPacketSocket _reply;
    RouterConfig? _applied;
    int _destinationBase = 10_000;

    public string InjectorNamespace { get; }
    public string RouterNamespace { get; }
    public string SinkNamespace { get; }

    public string KernelRelease => HostNatRouter.KernelRelease;
    public string Where => "host";
    public bool Emulated => false;
    public (string Model, int Cpus) Cpu => (HostCpu.Model(), ProcStat.Read().Cpus.Count);

    /// <summary>The last CPU this process may use: the softirq work follows the injector there, away from CPU 0's housekeeping.</summary>
    public int? SuggestedInjectorCpu => UdpInjector.AllowedCpus() is { Count: > 0 } cpus ? cpus[^1] : null;

    public KernelCostMeter()
    {
        try
        {
            InjectorNamespace = _topology.AddNamespace("inj");
            RouterNamespace = _topology.AddNamespace("router");
            SinkNamespace = _topology.AddNamespace("sink");
            foreach (string ns in _topology.Namespaces) _topology.DisableIpv6(ns);
            _topology.AddVethPair(InjectorNamespace, "i0", RouterNamespace, Inside, InjectorMac, RouterInsideMac);
            _topology.AddVethPair(RouterNamespace, Outside, SinkNamespace, "s0", RouterOutsideMac, SinkMac);
            _topology.AddVethPair(InjectorNamespace, "i1", SinkNamespace, "s1", DirectInjectorMac, DirectSinkMac);

            _topology.Ip(RouterNamespace, "addr", "add", RouterInsideAddress + "/24", "dev", Inside);
            _topology.Ip(RouterNamespace, "addr", "add", RouterOutsideAddress + "/24", "dev", Outside);
            _topology.Ip(RouterNamespace, "neigh", "replace", Destination.ToString(), "lladdr", SinkMac.ToString(), "dev", Outside, "nud", "permanent");
            _topology.Ip(RouterNamespace, "neigh", "replace", InsideGateway, "lladdr", InjectorMac.ToString(), "dev", Inside, "nud", "permanent");
            _topology.Ip(RouterNamespace, "route", "add", InsideHosts, "via", InsideGateway, "dev", Inside);
            _topology.Ip(RouterNamespace, "route", "add", PlanDestinations, "via", Destination.ToString(), "dev", Outside);
            _topology.Exec(RouterNamespace, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1",
                "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0", $"net.ipv4.conf.{Inside}.rp_filter=0", $"net.ipv4.conf.{Outside}.rp_filter=0");
            LoadRuleset(SinkNamespace, $$"""
                table netdev {{SinkTable}} {
                  counter delivered { }
                  counter direct { }
                  chain routed_in {
                    type filter hook ingress device "s0" priority 0; policy accept;
                    counter name "delivered" drop
                  }
                  chain direct_in {
                    type filter hook ingress device "s1" priority 0; policy accept;
                    counter name "direct" drop
                  }
                }
                """);
            // Send-only sockets (protocol 0): the injector's namespace never queues a copy of anything.
            var send = new AfPacketOptions { QdiscBypass = true, SendBufferBytes = 4 << 20 };
            _routed = AfPacketSocket.Open("i0", InjectorNamespace, send);
            _direct = AfPacketSocket.Open("i1", InjectorNamespace, send);
            _reply = AfPacketSocket.Open("s0", SinkNamespace, send);
        }
        catch
        {
            _routed?.Dispose();
            _direct?.Dispose();
            _reply?.Dispose();
            _topology.Dispose();
            throw;
        }
    }

    /// <summary>Why this host cannot run the meter, or null (root, iproute2, nft, conntrack, a kernel with nft NAT).</summary>
    public static string? UnavailableReason() => HostNatRouter.UnavailableReason();

    /// <summary>
    /// Loads the router's ruleset for <paramref name="config"/> and returns null, or the kernel's (nft's) refusal:
    /// a stage the kernel cannot run is found out by trying it, not by guessing from the release.
    /// </summary>
    public string? TryConfigure(RouterConfig config)
    {
        var r = ApplyRuleset(config);
        if (r is not null) return r;
        _applied = config;
        return null;
    }

    string? ApplyRuleset(RouterConfig config)
    {
        _topology.TryExec(RouterNamespace, "nft", ["flush", "ruleset"]);
        _applied = null;
        if (!config.Forward) return null;
        if (config.IsPlainForwarding) return null; // an empty ruleset: no netfilter hooks at all
        string text = RouterRuleset.Build(config, Inside, Outside);
        string file = PrivateTempFile(text);
        try
        {
            var res = _topology.TryExec(RouterNamespace, "nft", ["-f", file], TimeSpan.FromSeconds(120));
            return res.Succeeded ? null : $"nft refused the ruleset for {config}: {FirstLine(res.StandardError)}";
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Three quarters of nf_conntrack_max (the table is per namespace, the limit global), less the warm-up's 20,000 flows.</summary>
    public long MaxNewFlowsPerWindow
    {
        get
        {
            string path = "/proc/sys/net/netfilter/nf_conntrack_max";
            long max = File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture, out long m) ? m : 65_536;
            return Math.Max(1_000, max * 3 / 4 - 20_000);
        }
    }

    public string EspNotMeasuredReason()
    {
        // The same SA the lab's ESP validation uses: AES-GCM-128 (rfc4106), tunnel mode, in a namespace of ours.
        var r = _topology.TryExec(RouterNamespace, "ip", ["xfrm", "state", "add", "src", RouterOutsideAddress, "dst", Destination.ToString(),
            "proto", "esp", "spi", "0x100", "mode", "tunnel", "aead", "rfc4106(gcm(aes))", "0x0102030405060708090a0b0c0d0e0f1011121314", "128"]);
        if (!r.Succeeded) return $"this kernel refused an ESP SA (ip xfrm state add ... aead rfc4106(gcm(aes))): {r.StandardError.Trim()}";
        _topology.TryExec(RouterNamespace, "ip", ["xfrm", "state", "flush"]);
        return "the kernel has ESP, but the calibration does not drive ESP stages yet";
    }

    /// <summary>
    /// One measurement: configures the router (unless it already has <paramref name="config"/>), empties the
    /// conntrack table, warms up (each established flow once, answered from the sink side when
    /// <see cref="MeterLoad.Replies"/>), then injects <see cref="MeterLoad.Packets"/> packets and reads the
    /// CPU times and the sink's counter around exactly that window.
    /// </summary>
    public MeterSample Measure(RouterConfig config, MeterLoad load, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(load);
        load.Validate();
        if (load.NewFlows && load.Packets / load.PacketsPerNewFlow > UdpInjector.MaxNewFlows())
            throw new ArgumentOutOfRangeException(nameof(load), load.Packets, $"at most {UdpInjector.MaxNewFlows()} new flows in one window");
        ct.ThrowIfCancellationRequested();
        if (_applied != config && TryConfigure(config) is string refused) throw new InvalidOperationException(refused);
        FlushConntrack();

        var socket = config.Forward ? _routed : _direct;
        var dstMac = config.Forward ? RouterInsideMac : DirectSinkMac;
        var srcMac = config.Forward ? InjectorMac : DirectInjectorMac;
        using var injector = new UdpInjector(socket, srcMac, dstMac, Source, Destination, load.FrameBytes, load.Batch);

        // Warm-up with the same code path as the window, so the JIT has compiled it and the caches are hot.
        // New-flow warm-ups use destination ports above the window's, so the window's tuples are all new.
        int warmBase = _destinationBase;
        var warmLoad = load with { OfferedPps = null };
        long warm = load.NewFlows ? load.Addresses?.WarmupFlows ?? Math.Min(load.Packets, 20_000) : Math.Max(load.Flows, Math.Min(load.Packets, 20_000));
        int windowBase = load.NewFlows ? NextDestinationBase(warmBase, warm / load.PacketsPerNewFlow + 1) : warmBase;
        // With an address plan the flows are numbered as the simulation numbers them: warm-up first, the window after.
        long windowFirst = load.NewFlows && load.Addresses is null ? 0 : warm;
        UdpInjector.OnThread(load.InjectorCpu, () => injector.Send(warmLoad, 0, warm, warmBase, ct));
        if (!load.NewFlows && load.Replies && config.Forward && config.TracksConnections) SendReplies(config, load);

        long before = ReadDelivered(config.Forward);
        long sentBefore = injector.Sent, failedBefore = injector.Failed, retriesBefore = injector.Retries;
        ProcStat cpuBefore = default!;
        ProcStat cpuAfter = default!;
        SoftnetStat? softBefore = null, softAfter = null;
        IReadOnlyDictionary<int, long> ksoftBefore = Ksoftirqd.Ticks();
        var clock = new Stopwatch();
        long threadNs = 0;
        UdpInjector.OnThread(load.InjectorCpu, () =>
        {
            softBefore = SoftnetStat.TryRead();
            cpuBefore = ProcStat.Read();
            long t0 = UdpInjector.ThreadCpuNanoseconds();
            clock.Start();
            injector.Send(load, windowFirst, load.Packets, windowBase, ct);
            clock.Stop();
            threadNs = UdpInjector.ThreadCpuNanoseconds() - t0;
            cpuAfter = ProcStat.Read();
            softAfter = SoftnetStat.TryRead();
        });
        var ksoftAfter = Ksoftirqd.Ticks();
        long delivered = ReadDelivered(config.Forward) - before;
        if (load.NewFlows) _destinationBase = NextDestinationBase(windowBase, load.Packets / load.PacketsPerNewFlow + 1);
        return new MeterSample(config, load, load.Packets, injector.Sent - sentBefore, delivered, injector.Failed - failedBefore,
            clock.Elapsed, cpuAfter.Since(cpuBefore), load.InjectorCpu)
        {
            InjectorThreadCpu = TimeSpan.FromTicks(threadNs / 100),
            Softnet = softBefore is not null && softAfter is not null ? softAfter.Since(softBefore) : null,
            KsoftirqdTicks = ksoftAfter.Where(k => ksoftBefore.ContainsKey(k.Key)).ToDictionary(k => k.Key, k => k.Value - ksoftBefore[k.Key]),
            SenderRetries = injector.Retries - retriesBefore,
        };
    }

    /// <summary>New-flow tuples move to fresh destination ports from one window to the next; the table is flushed anyway.</summary>
    static int NextDestinationBase(int current, long flows)
    {
        long next = current + flows / 64_000 + 1;
        return next + 16 > 65_000 ? 10_000 : (int)next;
    }

    /// <summary>One reply per established flow from the sink's side, so each conntrack entry has seen a reply (IPS_SEEN_REPLY).</summary>
    void SendReplies(RouterConfig config, MeterLoad load)
    {
        var to = config.Masquerade ? IPAddress.Parse(RouterOutsideAddress) : Source;
        using var sender = new AfPacketSender(_reply);
        var buffer = new byte[load.FrameBytes];
        var payload = new byte[load.FrameBytes - 4 - PacketHeaders.EthernetLength - PacketHeaders.Ipv4Length - PacketHeaders.UdpLength];
        for (int f = 0; f < load.Flows; f++)
        {
            // Masquerade keeps the source port when the translated tuple is unique (nf_nat_get_unique_tuple), as it is here.
            var flow = new FlowAddresses(SinkMac, RouterOutsideMac, Destination, to, 9, (ushort)(UdpInjector.BasePort + f));
            int n = FrameBuilder.WriteUdpFrame(buffer, flow, payload);
            if (!sender.TryAdd(buffer.AsSpan(0, n)))
            {
                sender.Flush();
                sender.TryAdd(buffer.AsSpan(0, n));
            }
        }
        sender.Flush();
    }

    void FlushConntrack()
    {
        // conntrack -F fails harmlessly ("0 flow entries") where no entry exists; the table is per namespace.
        _topology.TryExec(RouterNamespace, "conntrack", ["-F"]);
    }

    /// <summary>The router namespace's conntrack entry count (net.netfilter.nf_conntrack_count).</summary>
    public long ConntrackCount()
    {
        var r = _topology.TryExec(RouterNamespace, "cat", ["/proc/sys/net/netfilter/nf_conntrack_count"]);
        return r.Succeeded && long.TryParse(r.StandardOutput.Trim(), CultureInfo.InvariantCulture, out long n) ? n : 0;
    }

    long ReadDelivered(bool routed)
    {
        string output = _topology.Exec(SinkNamespace, "nft", "list", "counters", "table", "netdev", SinkTable);
        var counters = NftCounters.Parse(output);
        return counters[routed ? "delivered" : "direct"].Packets;
    }

    void LoadRuleset(string ns, string text)
    {
        string file = PrivateTempFile(text);
        try
        {
            _topology.Exec(ns, "nft", "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A new file only this process can read, created exclusively (never through a name someone planted).</summary>
    static string PrivateTempFile(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"lab-cal-{Environment.ProcessId}-{Guid.NewGuid():N}.nft");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var fs = new FileStream(path, options);
        fs.Write(System.Text.Encoding.UTF8.GetBytes(text));
        return path;
    }

    static string FirstLine(string s)
    {
        foreach (string line in s.Split('\n'))
        {
            // nft prefixes the (temporary) file name and position; the error is what matters.
            int at = line.IndexOf("Error:", StringComparison.Ordinal);
            if (at >= 0) return line[at..].Trim();
        }
        return s.Trim().Split('\n')[0];
    }

    public void Dispose()
    {
        _routed.Dispose();
        _direct.Dispose();
        _reply.Dispose();
        _topology.Dispose();
    }
}
