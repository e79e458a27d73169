using Lab.Core;
using Lab.Netfilter.Churn;
using Lab.Netfilter.Conntrack;

namespace Lab.Netfilter.Tests;

public class ChurnTests
{
    // One public address, one destination (address and port), UDP flows that never see a reply:
    // every entry lives exactly UDP_CT_UNREPLIED = 30 s and holds one of the 65535 - 1024 + 1 =
    // 64,512 ports of the default range. Little's law: entries in steady state = rate x 30 s, so the
    // port space sustains 64,512 / 30 s = 2,150.4 new flows per second. Arrivals are evenly spaced
    // (flow k at k / rate) so the arithmetic is exact.
    static ChurnConfig OneDestination(double rate, long duration, string version) => new()
    {
        Subscribers = 100_000,
        Destinations = 1,
        NewFlowsPerSecond = rate,
        Poisson = false,
        Duration = duration,
        Conntrack = new ConntrackConfig { Buckets = 262144, Max = 262144, Version = KernelVersion.Parse(version) },
    };

    [Fact]
    public void Exhaustive_search_sustains_2000_flows_per_second()
    {
        // Before 5.0 the search walks the whole range, so a flow is dropped only when all ports are
        // held. 2,000/s x 30 s = 60,000 < 64,512: no drop.
        var r = ChurnWorkload.Run(OneDestination(2000, 45 * SimTime.Second, "4.19"));
        Assert.Equal(0, r.Dropped);
        Assert.Equal(r.NewFlows, r.AcceptedFlows);
    }

    [Fact]
    public void Exhaustive_search_runs_out_at_2300_flows_per_second_when_all_ports_are_held()
    {
        // 2,300/s needs 69,000 entries. No entry expires before 30 s, so the 64,513th new flow finds
        // all 64,512 ports held: arrival k comes at k x 434,782,608 ps (10^12 / 2,300, truncated),
        // so the first drop is at 64,513 x that = 28.049 s (one arrival later for each arrival that
        // happened to repeat a live 5-tuple and so was not a new flow).
        var r = ChurnWorkload.Run(OneDestination(2300, 28_100 * SimTime.Millisecond, "4.19"));
        Assert.Equal((64_513 + r.ReusedTuples) * 434_782_608L, r.FirstDropAt!.Value);
        Assert.Equal(64_512, r.AcceptedFlows);
        // every new flow after that is dropped; arrivals up to 28.1 s: floor(28.1 / 434,782,608 ps) = 64,630
        Assert.Equal(64_630, r.NewFlows + r.ReusedTuples);
        Assert.Equal(r.NewFlows - 64_512, r.Dropped);
        Assert.Equal(r.Dropped, r.Conntrack.insert_failed);
    }

    [Fact]
    public void Bounded_search_drops_some_flows_before_the_ports_run_out()
    {
        // Since 5.0 the search gives up after 248 checks from random offsets. The subscribers'
        // preserved source ports (32768-60999) form one large used block, so at 2,000/s (93 % of
        // the ports in use) some searches fail although 4,512 ports are free: a few tenths of a
        // percent of the new flows are dropped with insert_failed.
        var r = ChurnWorkload.Run(OneDestination(2000, 90 * SimTime.Second, "6.12"));
        Assert.True(r.Dropped > 0);
        Assert.Equal(r.Dropped, r.Conntrack.insert_failed);
        Assert.Equal(r.Dropped, r.DropsByReason[(int)CtDropReason.InsertClash]);
        Assert.InRange(r.Dropped / (double)r.NewFlows, 0.0005, 0.02);
        Assert.InRange(r.MaxAttempts, 248, 249); // 248 checks, +1 for the original-port check
    }

    [Fact]
    public void Bounded_search_at_2300_flows_per_second_drops_at_least_the_excess()
    {
        // In steady state at most 2,150.4 flows/s can hold a port: from 30 s on at least
        // (2,300 - 2,150.4) / 2,300 = 6.5 % of the new flows are dropped.
        var r = ChurnWorkload.Run(OneDestination(2300, 90 * SimTime.Second, "6.12"));
        long lateNew = r.NewFlows - (long)(30 * 2300);
        long lateDrops = r.Dropped - r.Occupancy[30].DroppedSoFar;
        Assert.True(lateDrops / (double)lateNew >= (2300 - 2150.4) / 2300);
        Assert.Equal(r.Dropped, r.Conntrack.insert_failed);
    }
}
