using BenchmarkDotNet.Attributes;
using Lab.Engine;
using Lab.Netfilter;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Nat;

namespace Lab.Bench;

/// <summary>Tuples and lookup orders the netfilter benchmarks share: deterministic, distinct, UDP.</summary>
static class NetfilterWorkload
{
    /// <summary>Client k: 10.x.y.z source (50,000 ports per address) to a resolver on 192.0.2.1:53.</summary>
    public static FlowTuple Client(long k) =>
        new(FlowTuple.Ip(10, 0, 0, 0) + (uint)(k / 50_000), FlowTuple.Ip(192, 0, 2, 1), (ushort)(1024 + k % 50_000), 53, IpProto.Udp);

    public static int PowerOfTwoAtLeast(int n)
    {
        int p = 16;
        while (p < n) p <<= 1;
        return p;
    }

    /// <summary>A fixed pseudo-random sequence of indices below <paramref name="count"/>, length a power of two.</summary>
    public static int[] LookupOrder(int count, int length = 1 << 16)
    {
        var rng = RandomStream.For(7, 0, "bench.lookup");
        var order = new int[length];
        for (int i = 0; i < length; i++) order[i] = (int)rng.NextBelow((ulong)count);
        return order;
    }

    /// <summary>nf_conntrack_in for the first packet of a new UDP flow: allocate, track, confirm. Returns the entry or -1.</summary>
    public static int NewFlow(ConntrackTable ct, in FlowTuple t, long now)
    {
        int id = ct.Allocate(t, now, out _);
        if (id < 0) return -1;
        ct.HandlePacket(id, CtDir.Original, TcpFlags.None, now);
        ct.Confirm(id, now, out int ctId, out _);
        return ctId;
    }
}

/// <summary>
/// The conntrack table (nf_conntrack_core.c) at a steady population: inserting a connection
/// (the oldest one is killed to make room, as timeouts would) and looking one up.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Models)]
public class ConntrackBenchmarks
{
    [Params(1_000, 100_000)]
    public int Population { get; set; }

    ConntrackTable _ct = null!;
    FlowTuple[] _tuples = null!;
    int[] _ids = null!;
    int[] _order = null!;
    int _slot, _lookup;
    long _serial;

    [GlobalSetup]
    public void Setup()
    {
        _ct = new ConntrackTable(new ConntrackConfig { Buckets = NetfilterWorkload.PowerOfTwoAtLeast(Population), Max = 2 * Population });
        _tuples = new FlowTuple[Population];
        _ids = new int[Population];
        for (int i = 0; i < Population; i++)
        {
            _tuples[i] = NetfilterWorkload.Client(_serial++);
            _ids[i] = NetfilterWorkload.NewFlow(_ct, _tuples[i], 0);
            if (_ids[i] < 0) throw new InvalidOperationException("conntrack setup: insert failed");
        }
        _order = NetfilterWorkload.LookupOrder(Population);
    }

    /// <summary>Kill the oldest connection, then track and confirm a new one.</summary>
    [Benchmark]
    [OperationUnit("connection")]
    public int Insert()
    {
        int slot = _slot;
        _slot = slot + 1 == Population ? 0 : slot + 1;
        _ct.Kill(_ids[slot]);
        var t = NetfilterWorkload.Client(_serial++);
        _tuples[slot] = t;
        return _ids[slot] = NetfilterWorkload.NewFlow(_ct, t, 0);
    }

    /// <summary>resolve_normal_ct's lookup of an established connection's tuple.</summary>
    [Benchmark]
    [OperationUnit("lookup")]
    public int Lookup()
    {
        int i = _order[_lookup++ & (_order.Length - 1)];
        return _ct.Find(_tuples[i], 0, out _);
    }
}

/// <summary>
/// Source NAT port allocation (nf_nat_core.c get_unique_tuple / nf_nat_l4proto_unique_tuple):
/// clients all using source port 40000 to one server, masqueraded behind one address, with
/// <see cref="Mappings"/> mappings held; each new flow must search a free port.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Models)]
[OperationUnit("mapping")]
public class NatBenchmarks
{
    [Params(1_000, 30_000)]
    public int Mappings { get; set; }

    ConntrackTable _ct = null!;
    NatPortAllocator _nat = null!;
    readonly NatRange _range = NatRange.Snat(FlowTuple.Ip(203, 0, 113, 1));
    int[] _ids = null!;
    int _slot;
    uint _client;

    [GlobalSetup]
    public void Setup()
    {
        _ct = new ConntrackTable(new ConntrackConfig { Buckets = NetfilterWorkload.PowerOfTwoAtLeast(2 * Mappings), Max = 2 * Mappings });
        _nat = new NatPortAllocator(_ct);
        _ids = new int[Mappings];
        for (int i = 0; i < Mappings; i++)
        {
            _ids[i] = Map();
            if (_ids[i] < 0) throw new InvalidOperationException("NAT setup: port allocation failed");
        }
    }

    int Map()
    {
        var t = new FlowTuple(FlowTuple.Ip(100, 64, 0, 0) + _client++, FlowTuple.Ip(198, 51, 100, 7), 40000, 443, IpProto.Udp);
        int id = _ct.Allocate(t, 0, out _);
        if (id < 0) return -1;
        _ct.HandlePacket(id, CtDir.Original, TcpFlags.None, 0);
        _nat.SetupSnat(id, _range, 0);
        _ct.Confirm(id, 0, out int ctId, out _);
        return ctId;
    }

    /// <summary>Expire the oldest mapping, then set up SNAT for a new flow and confirm it.</summary>
    [Benchmark]
    public int SnatNewFlow()
    {
        int slot = _slot;
        _slot = slot + 1 == Mappings ? 0 : slot + 1;
        if (_ids[slot] >= 0) _ct.Kill(_ids[slot]);
        return _ids[slot] = Map();
    }
}

/// <summary>flow_offload_lookup in an nftables flowtable (nf_flow_table_core.c) holding <see cref="Flows"/> flows, both directions.</summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Models)]
[OperationUnit("lookup")]
public class FlowtableBenchmarks
{
    [Params(10_000, 1_000_000)]
    public int Flows { get; set; }

    FlowTable _ft = null!;
    FlowTuple[] _tuples = null!;
    int[] _order = null!;
    int _i;

    [GlobalSetup]
    public void Setup()
    {
        var ct = new ConntrackTable(new ConntrackConfig { Buckets = NetfilterWorkload.PowerOfTwoAtLeast(Flows), Max = Flows + 64 });
        _ft = new FlowTable(new FlowtableConfig { MaxFlows = Flows }, ct);
        _tuples = new FlowTuple[2 * Flows];
        for (int i = 0; i < Flows; i++)
        {
            var t = NetfilterWorkload.Client(i);
            int id = NetfilterWorkload.NewFlow(ct, t, 0);
            if (id < 0 || _ft.Add(id, 0) < 0) throw new InvalidOperationException("flowtable setup: add failed");
            _tuples[2 * i] = t;
            _tuples[2 * i + 1] = t.Invert();
        }
        _order = NetfilterWorkload.LookupOrder(2 * Flows);
    }

    [Benchmark]
    public int Lookup() => _ft.Lookup(_tuples[_order[_i++ & (_order.Length - 1)]], out _);
}
