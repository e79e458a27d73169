using Lab.Engine;
using Lab.Models.Path;
using Lab.Models.Traffic;

namespace Lab.Models.Tests;

static class PathHarness
{
    public static TrafficSpec Source(string name, ArrivalProcess process, double bitsPerSecond, SizeDistribution sizes, int flows = 1) =>
        new(name, process, bitsPerSecond, sizes, flows, false, 0, 0, 0, 0, 0, 0, 0);
}
