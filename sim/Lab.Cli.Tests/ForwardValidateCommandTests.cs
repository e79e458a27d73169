using System.Globalization;
using System.Net;
using Lab.Captures.Frames;
using Lab.Captures.Pcap;
using Lab.Experiments.Validation;
using Lab.KernelLab.ForwardValidation;
using Lab.KernelLab.Netfilter;
using Lab.Simulation.Running;

namespace Lab.Cli.Tests;

/// <summary>`lab validate` on scenarios whose device under test is a forward element: the host kernel with NAT, the VM with a flowtable, bad input, and the comparer on a disagreement.</summary>
[Collection(KernelValidationCollection.Name)]
public sealed class ForwardValidateCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-validate-fwd-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static (int Code, string Out, string Err) Run(params string[] args) => ScenarioRun.Lab(args);

    string Scenario(string forward, int flows = 6, string name = "fwd-test")
    {
        string f = Path.Combine(_dir, name + ".yaml");
        File.WriteAllText(f, $$"""
            name: {{name}}
            run: { duration: 1ms, seed: 1 }
            traffic:
              - { name: load, kind: cbr, rate: 100Mbit/s, size: 64B, flows: {{flows}} }
            path:
              - forward: {{forward}}
            outputs: { timeseries: 0s }
            """);
        return f;
    }

    static Dictionary<string, (double Simulated, double Kernel)> Rows(string dir) =>
        File.ReadAllLines(Path.Combine(dir, "validation.csv")).Skip(1).Select(l => l.Split(','))
            .ToDictionary(c => c[1], c => (double.Parse(c[2], CultureInfo.InvariantCulture), double.Parse(c[3], CultureInfo.InvariantCulture)));

    [HostNatFact]
    public void Nat_scenario_agrees_with_the_host_kernel_packet_by_packet()
    {
        // 6 TCP flows from 3 subscribers (10.0.0.1-3), all with source port 32768 or 32769, masqueraded to one
        // address towards one server: 198.18.0.1:443. The first flow of each source port keeps it; the second
        // subscriber's flow from the same port towards the same server needs another (get_unique_tuple).
        string outDir = Path.Combine(_dir, "out-host");
        var (code, stdout, err) = Run("validate", Scenario("{ protocol: tcp, subscribers: 3, rules: 2, masquerade: true }"), "--kernel", "host", "--out", outDir);

        Assert.True(code == 0, stdout + err);
        Assert.Contains("validate: fwd-test on host: this machine's kernel", stdout, StringComparison.Ordinal);
        Assert.Contains("result: all 1 checks agree", stdout, StringComparison.Ordinal);
        var rows = Rows(outDir);
        Assert.All(rows, r => Assert.Equal(r.Value.Simulated, r.Value.Kernel));
        // 2 kept (one per source port), 4 moved: worked out above.
        Assert.Equal((2.0, 4.0), (rows["nat.port_kept"].Kernel, rows["nat.port_moved"].Kernel));
        Assert.Equal(6.0, rows["conntrack.entries.tcp"].Kernel);
        // Every flow completed its handshake (SYN, SYN/ACK, ACK): ESTABLISHED and [ASSURED] in both.
        Assert.Equal(6.0, rows["conntrack.assured.tcp"].Kernel);
        // No flowtable in the scenario: the forward chain counts every packet, and every packet came out.
        Assert.Equal(rows["delivered"].Kernel, rows["forward_chain.packets"].Kernel);
        Assert.Equal(rows["verdicts_agree"].Simulated, rows["delivered"].Kernel);

        // frames.pcap: the first frame is the first flow's SYN (a flow's first packet is its SYN), index 0 in the
        // IPv4 identification, from the client and port simulated.csv names, to 198.18.0.1:443.
        var first = File.ReadLines(Path.Combine(outDir, "simulated.csv")).Skip(1).First().Split(',');
        Assert.Equal(("0", "client", "tcp", "198.18.0.1", "443", "SYN"), (first[0], first[2], first[4], first[7], first[8], first[9]));
        using var pcap = PcapReader.Open(Path.Combine(outDir, "frames.pcap"));
        Assert.True(pcap.TryReadNext(out _));
        var f = pcap.Data;
        Assert.Equal(0x0800, f[12] << 8 | f[13]);
        Assert.Equal(0, f[18] << 8 | f[19]);                                            // identification = index 0
        Assert.Equal(6, f[23]);                                                         // TCP
        Assert.Equal(IPAddress.Parse(first[5]), new IPAddress(f.Slice(26, 4)));
        Assert.Equal(int.Parse(first[6], CultureInfo.InvariantCulture), f[34] << 8 | f[35]);
        Assert.Equal(IPAddress.Parse("198.18.0.1"), new IPAddress(f.Slice(30, 4)));
        Assert.Equal((byte)TcpFlags.Syn, f[47]);
        // A SYN and a SYN/ACK per flow, 6 flows.
        Assert.Equal(12, File.ReadLines(Path.Combine(outDir, "simulated.csv")).Count(l => l.Contains(",SYN,", StringComparison.Ordinal)
            || l.Contains(",SYN/ACK,", StringComparison.Ordinal)));
        Assert.True(File.Exists(Path.Combine(outDir, "report.md")));
        Assert.False(Directory.EnumerateDirectories(_dir, ".out-host.tmp-*").Any());
    }

    [VmFact]
    public void Flowtable_example_agrees_with_the_vm_kernel()
    {
        // scenarios/examples/forward-validate.yaml: 8 long TCP flows from 4 subscribers through a flowtable,
        // masqueraded. Worked out in the file: after each handshake's ACK adds the flow (ESTABLISHED and
        // ASSURED), the flow's further packets bypass the forward chain, and conntrack shows [OFFLOAD].
        string outDir = Path.Combine(_dir, "out-vm");
        var (code, stdout, err) = Run("validate", Path.Combine(RepoRoot(), "scenarios", "examples", "forward-validate.yaml"), "--kernel", "vm", "--out", outDir);

        Assert.True(code == 0, stdout + err);
        Assert.Contains("validate: forward-validate on vm: Debian kernel 6.1", stdout, StringComparison.Ordinal);
        Assert.Contains("result: all 1 checks agree", stdout, StringComparison.Ordinal);
        var rows = Rows(outDir);
        Assert.All(rows, r => Assert.Equal(r.Value.Simulated, r.Value.Kernel));
        // SYN, SYN/ACK and the handshake ACK per flow take the forward chain (the cbr flows never close).
        Assert.Equal(8 * 3.0, rows["forward_chain.packets"].Kernel);
        // About 149 packets in 1 ms at 100 Mbit/s of 64 B frames, plus 8 synthesized SYN/ACKs and 8 ACKs: most took the fast path.
        Assert.True(rows["delivered"].Kernel > 4 * rows["forward_chain.packets"].Kernel, $"{rows["delivered"].Kernel} packets forwarded");
        Assert.Equal(8.0, rows["conntrack.offload.tcp"].Kernel);
        Assert.Equal((2.0, 6.0), (rows["nat.port_kept"].Kernel, rows["nat.port_moved"].Kernel));
    }

    internal static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Lab.sln"))) d = d.Parent;
        return d?.FullName ?? throw new DirectoryNotFoundException("no Lab.sln above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Hardware_offload_is_bad_input_naming_the_element()
    {
        string f = Scenario("{ protocol: tcp, flowtable: true, hw_offload: true }");
        var (code, _, err) = Run("validate", f, "--kernel", "host", "--out", Path.Combine(_dir, "o"));
        Assert.Equal(2, code);
        Assert.StartsWith($"lab: error: {f}:", err, StringComparison.Ordinal);
        Assert.Contains("forward.hw_offload: the kernels here forward through veth and virtio, which have no NIC flow offload", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "o")));
    }

    [Fact]
    public void A_nat_pool_on_the_topologys_own_links_is_bad_input()
    {
        string f = Scenario("{ protocol: udp, snat: { address: 198.51.100.7 } }");
        var (code, _, err) = Run("validate", f, "--kernel", "host", "--out", Path.Combine(_dir, "o"));
        Assert.Equal(2, code);
        Assert.Contains("forward.snat: the pool 198.51.100.7-198.51.100.7 overlaps the DUT's egress link 198.51.100.0/24", err, StringComparison.Ordinal);
    }

    /// <summary>A kernel run that shows exactly what the model predicts for <paramref name="trace"/>.</summary>
    static ForwardKernelRun AsPredicted(ForwardTrace trace)
    {
        var observations = trace.Packets.Select(p => !p.Forwarded ? new ForwardPacketObservation(0, null) : new ForwardPacketObservation(1,
            new CapturedSegment((ushort)p.Index, p.ForwardChain ? ForwardDutScripts.ClassicPathTos : (byte)0, p.Protocol,
                p.Side == ForwardSide.Client ? p.OutAddress : p.Source, p.Side == ForwardSide.Client ? p.Destination : p.OutAddress,
                p.Side == ForwardSide.Client ? p.OutPort : p.SourcePort, p.Side == ForwardSide.Client ? p.DestinationPort : p.OutPort, p.Tcp))).ToList();
        var entries = trace.Model.Entries.Select(e => new ConntrackEntry("tcp", e.Protocol, e.Offload ? null : 100, e.TcpState,
            new ConntrackTupleText(ForwardFrames.Address(e.Client), ForwardFrames.Address(e.Server), e.ClientPort, e.ServerPort),
            new ConntrackTupleText(ForwardFrames.Address(e.Server), IPAddress.Parse("203.0.113.1"), e.ServerPort, e.ClientPort),
            e.Unreplied, e.Assured && !e.Offload, e.Offload, false)).ToList();
        var stats = new Dictionary<string, long> { ["insert_failed"] = trace.Model.InsertFailed, ["drop"] = trace.Model.Drop, ["early_drop"] = trace.Model.EarlyDrop };
        return new ForwardKernelRun("test kernel", trace, observations, trace.Model.ForwardChainPackets, entries, stats, true, 262144, [], TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void One_packet_the_kernel_dropped_is_a_disagreement_shown_with_the_packet()
    {
        var loaded = ScenarioLoading.Load(Scenario("{ protocol: tcp, subscribers: 4, flowtable: true, masquerade: true }", flows: 4), [], null, null);
        var trace = ForwardValidation.Simulate(loaded, null).Single().Trace;
        // The model's trace, worked out from the forward stage: flow 0's SYN, the SYN/ACK it synthesizes,
        // the handshake ACK (which adds the flow), then flow 1's handshake, ...
        Assert.Equal([TcpFlags.Syn, TcpFlags.Syn | TcpFlags.Ack, TcpFlags.Ack], trace.Packets.Take(3).Select(p => p.Tcp));
        Assert.Equal([ForwardPathTaken.ClassicNew, ForwardPathTaken.Classic, ForwardPathTaken.Classic], trace.Packets.Take(3).Select(p => p.Simulated));

        var same = ForwardComparison.Compare(AsPredicted(trace), null);
        Assert.True(same.AllAgree, string.Join("\n", same.Disagreements.Select(d => d.Difference).Concat(same.FlowDifferences)));
        Assert.Equal(0, ForwardValidation.Summarize(new StringWriter(), "fwd-test", new ForwardKernelOutcome("k", null, [same], [], null)));

        // The same run, but the kernel never forwarded packet 2 (flow 0's handshake ACK).
        var run = AsPredicted(trace);
        var packets = run.Packets.ToList();
        packets[2] = new ForwardPacketObservation(0, null);
        var differs = ForwardComparison.Compare(run with { Packets = packets }, null);
        var o = new StringWriter();
        Assert.Equal(1, ForwardValidation.Summarize(o, "fwd-test", new ForwardKernelOutcome("k", null, [differs], [], null)));
        string text = o.ToString();
        Assert.Contains("DISAGREE: 1 packet verdicts, 2 counters and 0 conntrack entries differ", text, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"  counter fwd-test delivered: simulated {trace.Packets.Count}, kernel {trace.Packets.Count - 1}"), text, StringComparison.Ordinal);
        Assert.EndsWith(":32768 -> 198.18.0.1:443 [ACK]", trace.Packets[2].Describe(), StringComparison.Ordinal);
        Assert.Contains($"  packet 2 (fwd-test, client side, {trace.Packets[2].Describe()}): simulated classic, kernel drop: dropped by the kernel, forwarded by the model", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_port_the_kernel_kept_where_the_model_moved_it_is_a_disagreement()
    {
        // 3 subscribers, 6 flows, one server: the second and third flow from port 32768 must be moved (the first
        // keeps it). Pretend the kernel kept the port for every packet of the first flow the model moved.
        var loaded = ScenarioLoading.Load(Scenario("{ protocol: tcp, subscribers: 3, masquerade: true }"), [], null, null);
        var trace = ForwardValidation.Simulate(loaded, null).Single().Trace;
        int i = trace.Packets.ToList().FindIndex(p => p.Side == ForwardSide.Client && p.OutPort != p.SourcePort);
        Assert.True(i > 0, "the model moved no port");
        var moved = trace.Packets[i];
        var run = AsPredicted(trace);
        var packets = run.Packets.ToList();
        var flowPackets = trace.Packets.Where(p => p.Flow == moved.Flow && p.Side == ForwardSide.Client).Select(p => p.Index).ToList();
        foreach (int k in flowPackets) packets[k] = new ForwardPacketObservation(1, packets[k].First!.Value with { SourcePort = moved.SourcePort });
        var c = ForwardComparison.Compare(run with { Packets = packets }, null);

        Assert.Equal(flowPackets, c.Disagreements.Select(d => d.Packet.Index));
        Assert.All(c.Disagreements, d => Assert.Equal(
            string.Create(CultureInfo.InvariantCulture, $"source port {moved.SourcePort}: model moved it to {moved.OutPort}, kernel kept it"), d.Difference));
        // Kept ports: the model 2 (one per source port), the kernel one more.
        Assert.Equal((2.0, 3.0), c.Rows.Where(r => r.Metric == "nat.port_kept").Select(r => (r.Simulated, r.Kernel)).Single());
    }

    [Fact]
    public void Without_a_flowtable_in_the_kernel_the_path_checks_are_skipped_with_the_reason()
    {
        var loaded = ScenarioLoading.Load(Scenario("{ protocol: tcp, subscribers: 4, flowtable: true }", flows: 4), [], null, null);
        var trace = ForwardValidation.Simulate(loaded, null).Single().Trace;
        // The kernel without a flowtable: every forwarded packet passes the forward chain.
        var run = AsPredicted(trace);
        run = run with
        {
            Packets = [.. run.Packets.Select(o => o.First is { } f ? o with { First = f with { Tos = ForwardDutScripts.ClassicPathTos } } : o)],
            ForwardChainPackets = trace.Packets.Count,
            FlowtableUsed = false,
        };
        var c = ForwardComparison.Compare(run, "no flowtable here");

        Assert.True(c.AllAgree, string.Join("\n", c.Disagreements.Select(x => x.Difference)));
        Assert.StartsWith("flowtable: no flowtable here; the per-packet path, the forward-chain counter", Assert.Single(c.Skipped), StringComparison.Ordinal);
        Assert.DoesNotContain(c.Rows, r => r.Metric is "forward_chain.packets" or "conntrack.offload.tcp" or "conntrack.assured.tcp");
        // With the flowtable compared, the same kernel run disagrees on every packet the model sent on the fast path.
        int fast = trace.Packets.Count(p => p.Simulated == ForwardPathTaken.Fast);
        Assert.True(fast > 0);
        Assert.Equal(fast, ForwardComparison.Compare(run, null).Disagreements.Count());
    }
}

/// <summary>Needs the host kernel's netfilter NAT in namespaces (root, iproute2, nft, conntrack); skipped with the reason otherwise.</summary>
public sealed class HostNatFactAttribute : FactAttribute
{
    public HostNatFactAttribute()
    {
        if (HostNatRouter.UnavailableReason() is { } reason) Skip = reason;
    }
}
