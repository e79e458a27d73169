namespace Lab.KernelLab.Calibration;

/// <summary>
/// A machine-state reference measured beside the kernel windows: the latency of a dependent pointer chase through a
/// random cycle over <see cref="Bytes"/> (larger than a core's L2, within a shared L3), in the calling thread's CPU time.
/// The forwarding path's cost follows how much of the shared cache the host leaves this machine; on a cloud VM that
/// changes over tens of seconds (on the 2-vCPU EPYC guest of 2026-12-06, sampled every 15 s for 35 minutes while other
/// builds ran on the other vCPU, this chase took 17.5 to 150 ns a load, median 119, while a register-only loop took 1.69 to
/// 2.08 ns an iteration), so a point measured while the cache was free is faster than one
/// measured while a neighbour filled it. Reported, not used to correct: the path's sensitivity to it is not known.
/// </summary>
public sealed class CacheReference
{
    public const int Bytes = 4 << 20;
    const int Steps = 100_000;
    readonly int[] _next;
    int _sink;

    public CacheReference(int seed = 1)
    {
        int n = Bytes / sizeof(int);
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new Random(seed).Shuffle(order);
        _next = new int[n];
        for (int i = 0; i < n; i++) _next[order[i]] = order[(i + 1) % n];
    }

    /// <summary>Nanoseconds of the calling thread's CPU time per dependent load.</summary>
    public double NsPerLoad()
    {
        int p = 0;
        for (int i = 0; i < Steps / 10; i++) p = _next[p]; // bring the start of the walk in
        long t0 = UdpInjector.ThreadCpuNanoseconds();
        for (int i = 0; i < Steps; i++) p = _next[p];
        long t1 = UdpInjector.ThreadCpuNanoseconds();
        _sink += p;
        return (t1 - t0) / (double)Steps;
    }
}
