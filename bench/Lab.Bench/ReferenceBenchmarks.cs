using BenchmarkDotNet.Attributes;

namespace Lab.Bench;

/// <summary>
/// The reference workload: 4096 steps of a 64-bit linear congruential generator (a dependent
/// multiply-add chain) each indexing a 32 KiB table. Its cost depends on the machine (clock,
/// L1 behaviour, whatever shares the core) and not on the lab's code. Never change it: a change
/// moves every ratio recorded so far.
/// </summary>
public static class ReferenceWork
{
    public const int Steps = 4096;

    static readonly ulong[] Table = BuildTable();

    static ulong[] BuildTable()
    {
        var t = new ulong[4096];
        ulong x = 12345;
        for (int i = 0; i < t.Length; i++)
        {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            t[i] = x >> 17;
        }
        return t;
    }

    public static ulong Run(int steps = Steps)
    {
        ulong x = 88172645463325252UL, sum = 0;
        var table = Table;
        for (int i = 0; i < steps; i++)
        {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            sum += table[(int)(x >> 52)];
        }
        return sum ^ x;
    }
}

/// <summary>
/// The reference every suite measures in the same run (<see cref="ReferenceWork"/>), so that a
/// benchmark's time divided by it compares across runs and machines.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Engine, Suites.PacketPath, Suites.Models, Suites.Crypto, Suites.Io, Suites.EndToEnd)]
[OperationUnit("fixed work")]
public class ReferenceBenchmarks
{
    [Benchmark]
    public ulong FixedWork() => ReferenceWork.Run();
}
