using BenchmarkDotNet.Attributes;
using Lab.Engine;
using Lab.Netfilter;
using Lab.Netfilter.Conntrack;
using Lab.Netfilter.Flowtable;
using Lab.Netfilter.Nat;

namespace Lab.Bench;

/// <summary>
/// Per-operation cost of the netfilter models on a table holding <see cref="Entries"/> connections:
/// conntrack lookup (resolve_normal_ct's find), conntrack insert (init_conntrack, the UDP tracker and
/// __nf_conntrack_confirm, with the oldest entry killed so the table stays at its size), source NAT
/// port allocation (nf_nat_setup_info on a pool that is half used towards one destination), a
/// flowtable lookup, and one fast-path packet through <see cref="ForwardPath"/>. Every operation
/// must allocate nothing (MemoryDiagnoser: 0 B/op).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("models")]
public class NetfilterBenchmarks
{
    const int Ops = 1 << 16;

    [Params(10_000, 1_000_000)]
    public int Entries { get; set; }

    ConntrackTable _ct = null!;
    FlowTuple[] _present = null!;
    int[] _ids = null!;
    FlowTuple[] _fresh = null!;
    int _oldest, _nextFresh;
    long _now;

    ConntrackTable _natCt = null!;
    NatPortAllocator _nat = null!;
    NatRange _pool = null!;
    FlowTuple[] _natClients = null!;

    FlowTable _ft = null!;
    ForwardPath _path = null!;
    FlowTuple[] _offloaded = null!;

    static FlowTuple Client(int i) =>
        new(FlowTuple.Ip(10, 0, 0, 1) + (uint)(i / 28232), FlowTuple.Ip(198, 18, 0, 1), (ushort)(32768 + i % 28232), 443, IpProto.Udp);

    [GlobalSetup]
    public void Setup()
    {
        // A table sized as 5.15+ sizes it for this many entries, filled with confirmed UDP entries.
        _ct = new ConntrackTable(new ConntrackConfig { Buckets = Entries, Max = Entries + Ops });
        _present = new FlowTuple[Entries];
        _ids = new int[Entries];
        _now = SimTime.Second / 2;
        for (int i = 0; i < Entries; i++)
        {
            _present[i] = Client(i);
            _ids[i] = Insert(_ct, _present[i], _now);
        }
        _fresh = new FlowTuple[Ops];
        for (int i = 0; i < Ops; i++) _fresh[i] = Client(Entries + i);

        // NAT: one public address, one destination, 32,256 of the 64,512 ports of 1024-65535 taken.
        _natCt = new ConntrackTable(new ConntrackConfig { Buckets = 65536, Max = 65536 });
        _nat = new NatPortAllocator(_natCt);
        _pool = NatRange.Snat(FlowTuple.Ip(203, 0, 113, 1), NatRangeFlags.ProtoRandomFully);
        for (int i = 0; i < 32_256; i++)
        {
            int id = _natCt.InitConntrack(Client(i), _now, out _);
            _natCt.HandlePacket(id, CtDir.Original, TcpFlags.None, _now);
            _nat.SetupSnat(id, _pool, _now);
            _natCt.Confirm(id, _now, out _, out _);
        }
        _natClients = new FlowTuple[Ops];
        for (int i = 0; i < Ops; i++) _natClients[i] = Client(1_000_000 + i);

        // Flowtable: every entry of a second table offloaded (UDP: the second packet offloads it).
        var ct2 = new ConntrackTable(new ConntrackConfig { Buckets = Entries, Max = Entries });
        _ft = new FlowTable(new FlowtableConfig { MaxFlows = Entries + 64 }, ct2);
        _path = new ForwardPath(ct2, _ft, new ForwardingCosts(), new ForwardRules());
        _offloaded = new FlowTuple[Entries];
        for (int i = 0; i < Entries; i++)
        {
            _offloaded[i] = Client(i);
            _path.Process(_offloaded[i], TcpFlags.None, 0);
            _path.Process(_offloaded[i], TcpFlags.None, 1);
        }
        if (_ft.Count != Entries) throw new InvalidOperationException($"expected {Entries} offloaded flows, found {_ft.Count}");
    }

    static int Insert(ConntrackTable ct, in FlowTuple t, long now)
    {
        int id = ct.InitConntrack(t, now, out _);
        ct.HandlePacket(id, CtDir.Original, TcpFlags.None, now);
        ct.Confirm(id, now, out int attached, out _);
        return attached;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int ConntrackLookup()
    {
        int found = 0;
        for (int i = 0; i < Ops; i++)
        {
            if (_ct.Find(_present[(int)((uint)(i * 40503) % (uint)_present.Length)], _now, out _) >= 0) found++;
        }
        return found;
    }

    /// <summary>Insert a new connection and kill the oldest: the table stays at <see cref="Entries"/>.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public int ConntrackInsert()
    {
        int last = 0;
        for (int i = 0; i < Ops; i++)
        {
            var t = _fresh[_nextFresh];
            _ct.Kill(_ids[_oldest]);
            last = _ids[_oldest] = Insert(_ct, t, _now);
            _fresh[_nextFresh] = _present[_oldest];
            _present[_oldest] = t;
            _oldest = _oldest + 1 == _ids.Length ? 0 : _oldest + 1;
            _nextFresh = _nextFresh + 1 == _fresh.Length ? 0 : _nextFresh + 1;
        }
        return last;
    }

    /// <summary>nf_nat_setup_info for a new client on a half-used pool, then the entry is dropped unconfirmed.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public long NatPortAllocation()
    {
        for (int i = 0; i < Ops; i++)
        {
            int id = _natCt.InitConntrack(_natClients[i], _now, out _);
            _nat.SetupSnat(id, _pool, _now);
            _natCt.FreeUnconfirmed(id);
        }
        return _nat.Stats.Attempts;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int FlowtableLookup()
    {
        int found = 0;
        for (int i = 0; i < Ops; i++)
        {
            if (_ft.Lookup(_offloaded[(int)((uint)(i * 40503) % (uint)_offloaded.Length)], out _) >= 0) found++;
        }
        return found;
    }

    /// <summary>One packet of an offloaded flow through the forwarding box (ingress flowtable hit, refresh, transmit).</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public long ForwardFastPathPacket()
    {
        long cost = 0;
        for (int i = 0; i < Ops; i++)
            cost += _path.Process(_offloaded[(int)((uint)(i * 40503) % (uint)_offloaded.Length)], TcpFlags.None, 2).CostPs;
        return cost;
    }
}
