using BenchmarkDotNet.Attributes;
using Lab.Benchmarking;
using Lab.Engine;
using Lab.Models;
using Lab.Models.Path;
using Lab.Models.Traffic;
using Lab.Core;

namespace Lab.Bench;

/// <summary>
/// The quickstart path built directly from the model types, as scenarios/examples/quickstart.yaml
/// describes it: 8 Gbit/s of Poisson IMIX over 10,000 flows into a 10 Gbit/s link (5 us), then RSS
/// onto two cores running a 350 ns forwarding stage, into a sink. One operation is one simulated
/// packet: the rate is simulated packets per wall second, the allocation bytes per packet.
/// <para>
/// Test-only switch: with LAB_BENCH_SLOWDOWN=1 in the environment when the benchmark sets up,
/// the cores also run a stage that burns a fixed amount of CPU per packet (a deliberately slowed
/// build), so that `lab bench --compare` can be shown to catch a slowdown.
/// </para>
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.PacketPath)]
[OperationUnit("packet")]
public class PacketPathBenchmarks
{
    public const int PacketsPerInvoke = 20_000;

    SimulationContext _ctx = null!;
    Sink _sink = null!;
    PacketGate _gate = null!;

    /// <summary>Whether this instance was set up with the slowdown stage.</summary>
    public bool Slowed { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        Slowed = BenchHost.SlowdownRequested;
        _ctx = new SimulationContext(1, 0);
        _sink = new Sink(_ctx);
        var stages = new List<IPacketStage> { new FixedCostStage("forward", CostModel.Constant(350 * SimTime.Nanosecond), _ctx.Random("stage.forward")) };
        if (Slowed) stages.Add(new BusyStage(SlowdownRounds));
        var cores = new CoreSet(_ctx, "cpu", 2, 1024, stages) { Next = _sink };
        var link = new Link(_ctx, "wire", 10_000_000_000, 5 * SimTime.Microsecond, 1000, 0) { Next = cores };
        _gate = new PacketGate(_ctx.Sim, link);
        var spec = new TrafficSpec("bulk", ArrivalProcess.Poisson, 8e9, SizeDistribution.Imix(), 10_000, false, 0, 0, 0, 0, 0, 0, 0);
        _ = new TrafficSource(_ctx, spec, 0, _gate);
        // Warm up: queues, pools and the latency store reach their working size.
        for (int i = 0; i < 10; i++) Quickstart();
    }

    /// <summary>Multiply-add steps per packet of the slowdown stage (a dependent chain of about 8,000 cycles).</summary>
    public const int SlowdownRounds = 2000;

    [Benchmark(OperationsPerInvoke = PacketsPerInvoke)]
    public long Quickstart()
    {
        _gate.Limit += PacketsPerInvoke;
        _ctx.Sim.RunUntil(long.MaxValue);
        // The sink keeps every latency for exact percentiles; start over so memory stays flat.
        _sink.Latency.Reset();
        return _sink.LifetimePackets;
    }


    /// <summary>The slowdown: a dependent multiply-add chain per packet, costing no simulated time.</summary>
    sealed class BusyStage(int rounds) : IPacketStage
    {
        ulong _x = 1;

        public string Name => "slowdown";

        public StageVerdict Process(ref Packet packet, int core, long now)
        {
            ulong x = _x;
            for (int i = 0; i < rounds; i++) x = x * 6364136223846793005UL + (ulong)packet.Size;
            _x = x;
            return StageVerdict.Pass(0);
        }
    }
}

/// <summary>Passes packets on and stops the simulation once <see cref="Limit"/> packets have passed.</summary>
sealed class PacketGate(Simulator sim, IPacketReceiver next) : IPacketReceiver
{
    public long Count;
    public long Limit;

    public void Receive(int packet)
    {
        next.Receive(packet);
        if (++Count >= Limit) sim.Stop();
    }
}

/// <summary>
/// Issue 2's plain packet path: a generator (Poisson arrivals of 64 B frames at 9 Gbit/s over
/// 1,000 flows), a 10 Gbit/s link with 1 us of delay and a 1,000-packet tail-drop queue, and a sink
/// keeping every latency. Two events per packet (emission, end of transmission) and one for the
/// arrival. Target: at least 5 M simulated packets per second per core, 0 B per packet.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.PacketPath)]
[OperationUnit("packet")]
public class PlainPathBenchmarks
{
    public const int PacketsPerInvoke = 100_000;

    SimulationContext _ctx = null!;
    Sink _sink = null!;
    PacketGate _gate = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ctx = new SimulationContext(1, 0);
        _sink = new Sink(_ctx);
        var link = new Link(_ctx, "wire", 10_000_000_000, SimTime.Microsecond, 1000, 0) { Next = _sink };
        _gate = new PacketGate(_ctx.Sim, link);
        var spec = new TrafficSpec("load", ArrivalProcess.Poisson, 9e9, SizeDistribution.Fixed(64), 1000, false, 0, 0, 0, 0, 0, 0, 0);
        _ = new TrafficSource(_ctx, spec, 0, _gate);
        for (int i = 0; i < 10; i++) Generator_link_queue_sink();
    }

    [Benchmark(OperationsPerInvoke = PacketsPerInvoke)]
    public long Generator_link_queue_sink()
    {
        _gate.Limit += PacketsPerInvoke;
        _ctx.Sim.RunUntil(long.MaxValue);
        // The sink keeps every latency for exact percentiles; start over so memory stays flat.
        _sink.Latency.Reset();
        return _sink.LifetimePackets;
    }
}
