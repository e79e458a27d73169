using System.Diagnostics;
using System.Globalization;
using System.Net;
using Lab.Captures.AfPacket;
using Lab.Captures.Frames;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.Calibration;

/// <summary>
/// The same measurement as <see cref="KernelCostMeter"/> on the Debian guest kernel under qemu (-accel tcg):
/// the guest is the router (eth0 inside, eth1 outside, the same addresses and rulesets); the harness injects
/// with the same AF_PACKET sender on tap0 and answers established flows on tap1. The guest's own /proc/stat
/// gives its busy time; the routed packets are counted on eth1's transmit counter, the baseline frames (addressed
/// to 192.0.2.99, which a netdev ingress rule on eth0 counts and drops; the rule runs in every window alike) by
/// that rule's counter. The guest processes frames after the harness sent them, so each reading waits until
/// the guest's counters stop moving. Emulated CPUs: the values are not speeds.
/// </summary>
public sealed class VmCostMeter : IKernelCostMeter
{
    const string SinkTable = "labsink";
    static readonly IPAddress RouterOutside = IPAddress.Parse("198.51.100.1");
    static readonly IPAddress BaselineDestination = IPAddress.Parse("192.0.2.99");

    readonly KernelVm _vm;
    readonly AfPacketSocket _inject;
    readonly AfPacketSocket _reply;
    readonly MacAddress _tap0, _tap1, _eth0, _eth1;
    readonly string _inside, _outside;
    RouterConfig? _applied;
    int _destinationBase = 10_000;

    VmCostMeter(KernelVm vm)
    {
        _vm = vm;
        VmNic n0 = vm.Nics[0], n1 = vm.Nics[1];
        (_tap0, _tap1, _eth0, _eth1) = (MacAddress.Parse(n0.TapMac), MacAddress.Parse(n1.TapMac), MacAddress.Parse(n0.GuestMac), MacAddress.Parse(n1.GuestMac));
        (_inside, _outside) = (n0.GuestInterface, n1.GuestInterface);
        vm.WriteFile("/tmp/labsink.nft", $$"""
            table netdev {{SinkTable}} {
              counter direct { }
              chain baseline_in {
                type filter hook ingress device "{{_inside}}" priority 0; policy accept;
                ip daddr {{BaselineDestination}} counter name "direct" drop
              }
            }
            """);
        vm.RunChecked($"""
            set -e
            sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
            ip link set {_inside} up
            ip link set {_outside} up
            ip addr replace 10.0.0.1/8 dev {_inside}
            ip addr replace {RouterOutside}/24 dev {_outside}
            ip neigh replace {KernelCostMeter.Destination} lladdr {n1.TapMac} dev {_outside} nud permanent
            ip neigh replace {KernelCostMeter.Source} lladdr {n0.TapMac} dev {_inside} nud permanent
            sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.{_inside}.rp_filter=0 net.ipv4.conf.{_outside}.rp_filter=0
            nft -f /tmp/labsink.nft
            """);
        var send = new AfPacketOptions { QdiscBypass = true, SendBufferBytes = 4 << 20 };
        _inject = AfPacketSocket.Open(n0.TapName, vm.NetnsName, send);
        _reply = AfPacketSocket.Open(n1.TapName, vm.NetnsName, send);
        KernelRelease = vm.KernelRelease;
        var info = vm.RunChecked("grep -m1 'model name' /proc/cpuinfo; grep -c '^processor' /proc/cpuinfo; cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo 0")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Cpu = (HostCpu.ModelFrom(info[0]) + " (qemu TCG)", int.Parse(info[1].Trim(), CultureInfo.InvariantCulture));
        long max = long.Parse(info[2].Trim(), CultureInfo.InvariantCulture);
        MaxNewFlowsPerWindow = max > 0 ? Math.Max(1000, max * 3 / 4 - 2_000) : 20_000;
    }

    /// <summary>Boots a guest with two links and a single CPU (under TCG a second CPU only slows the first).</summary>
    public static VmCostMeter Boot()
    {
        var vm = KernelVm.Boot(new KernelVmOptions { Nics = 2, Cpus = 1, MemoryMiB = 512 });
        try
        {
            return new VmCostMeter(vm);
        }
        catch
        {
            vm.Dispose();
            throw;
        }
    }

    public string KernelRelease { get; }
    public string Where => "vm";
    public bool Emulated => true;
    public (string Model, int Cpus) Cpu { get; }
    public int? SuggestedInjectorCpu => null;
    public long MaxNewFlowsPerWindow { get; }

    public string? TryConfigure(RouterConfig config)
    {
        _applied = null;
        // The nat_attempt windows need the port-clash tuples (PortClashPlan), which the guest's routes do not carry.
        if (config.MasqueradePorts > 0)
            return "the VM meter sends its own tuples (one source, a distinct port pair per flow), not the port-clash plan this stage needs";
        string script = $"nft delete table ip {RouterRuleset.Table} 2>/dev/null; true";
        if (config.Forward && !config.IsPlainForwarding)
        {
            _vm.WriteFile("/tmp/labcal.nft", RouterRuleset.Build(config, _inside, _outside));
            script += "; nft -f /tmp/labcal.nft";
        }
        var r = _vm.Run(script, TimeSpan.FromSeconds(120));
        if (r.ExitCode != 0) return $"nft refused the ruleset for {config}: {r.Stderr.Trim().Split('\n')[0]}";
        _applied = config;
        return null;
    }

    public string EspNotMeasuredReason()
    {
        var r = _vm.Run($"ip xfrm state add src {RouterOutside} dst {KernelCostMeter.Destination} proto esp spi 0x100 mode tunnel " +
            "aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128 && ip xfrm state flush");
        return r.ExitCode != 0
            ? $"this kernel refused an ESP SA (ip xfrm state add ... aead rfc4106(gcm(aes))): {r.Stderr.Trim()}"
            : "the kernel has ESP, but the calibration does not drive ESP stages yet";
    }

    public MeterSample Measure(RouterConfig config, MeterLoad load, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(load);
        load.Validate();
        if (load.NewFlows && load.Addresses is not null)
            throw new InvalidOperationException("the VM meter sends its own tuples; it does not follow a scenario's address plan (routes in the guest are not set up for one)");
        if (_applied != config && TryConfigure(config) is string refused) throw new InvalidOperationException(refused);
        _vm.Run("conntrack -F 2>/dev/null; true");

        var dst = config.Forward ? KernelCostMeter.Destination : BaselineDestination;
        using var injector = new UdpInjector(_inject, _tap0, _eth0, KernelCostMeter.Source, dst, load.FrameBytes, load.Batch);
        int warmBase = _destinationBase;
        long warm = load.NewFlows ? Math.Min(load.Packets, 2_000) : load.Flows;
        int windowBase = load.NewFlows ? warmBase + (int)(warm / load.PacketsPerNewFlow / 64_000) + 1 : warmBase;
        // The guest reads frames off the tap far slower than they arrive: pace the warm-up so none is lost.
        injector.Send(load with { OfferedPps = 5_000 }, 0, warm, warmBase, ct);
        if (!load.NewFlows && load.Replies && config.Forward && config.TracksConnections) SendReplies(config, load);

        var before = ReadGuest(config.Forward);
        long sentBefore = injector.Sent, failedBefore = injector.Failed;
        var clock = Stopwatch.StartNew();
        injector.Send(load, load.NewFlows ? 0 : warm, load.Packets, windowBase, ct);
        var after = ReadGuest(config.Forward);
        clock.Stop();
        if (load.NewFlows) _destinationBase = windowBase + (int)(load.Packets / load.PacketsPerNewFlow / 64_000) + 1 > 60_000 ? 10_000 : windowBase + (int)(load.Packets / load.PacketsPerNewFlow / 64_000) + 1;
        return new MeterSample(config, load, load.Packets, injector.Sent - sentBefore, after.Delivered - before.Delivered,
            injector.Failed - failedBefore, clock.Elapsed, after.Cpu.Since(before.Cpu), null);
    }

    /// <summary>
    /// The guest's /proc/stat and delivered count, once the count stopped moving (the guest drained its queues). The wait
    /// runs inside the guest with shell builtins, so it adds little to the busy time it measures. Baseline frames are all
    /// dropped at eth0's ingress, so eth0's receive counter counts them; routed ones are counted on eth1's transmit counter.
    /// </summary>
    (ProcStat Cpu, long Delivered) ReadGuest(bool routed)
    {
        string f = routed ? $"/sys/class/net/{_outside}/statistics/tx_packets" : $"/sys/class/net/{_inside}/statistics/rx_packets";
        string[] parts = _vm.RunChecked(
            $"f={f}; read a < $f; n=0; while sleep 0.3; read b < $f; [ \"$a\" != \"$b\" ] && [ $n -lt 400 ]; do a=$b; n=$((n+1)); done; " +
            "echo $b; echo ===; cat /proc/stat", TimeSpan.FromSeconds(180)).Split("===\n");
        return (ProcStat.Parse(parts[1]), long.Parse(parts[0].Trim(), CultureInfo.InvariantCulture));
    }

    void SendReplies(RouterConfig config, MeterLoad load)
    {
        var to = config.Masquerade ? RouterOutside : KernelCostMeter.Source;
        using var sender = new AfPacketSender(_reply);
        var buffer = new byte[load.FrameBytes];
        var payload = new byte[load.FrameBytes - 4 - PacketHeaders.EthernetLength - PacketHeaders.Ipv4Length - PacketHeaders.UdpLength];
        long start = MonotonicClock.NowNanoseconds();
        for (int f = 0; f < load.Flows; f++)
        {
            var flow = new FlowAddresses(_tap1, _eth1, KernelCostMeter.Destination, to, 9, (ushort)(UdpInjector.BasePort + f));
            int n = FrameBuilder.WriteUdpFrame(buffer, flow, payload);
            sender.TryAdd(buffer.AsSpan(0, n));
            sender.Flush();
            MonotonicClock.WaitUntil(start + (f + 1) * 200_000L, spinNanoseconds: 0); // 5,000/s: the emulated guest keeps up
        }
        Thread.Sleep(500);
    }

    public void Dispose()
    {
        _inject.Dispose();
        _reply.Dispose();
        _vm.Dispose();
    }
}
