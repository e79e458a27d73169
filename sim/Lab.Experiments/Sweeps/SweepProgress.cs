using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Lab.Experiments.Sweeps;

/// <summary>
/// The progress line a sweep redraws on a terminal (stderr, with \r), at most a few times a
/// second: a bar, runs done of runs needed, elapsed time and an ETA from this session's rate.
/// Nothing is drawn when stderr is redirected.
/// </summary>
public sealed class SweepProgress(TextWriter terminal)
{
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly Lock _lock = new();
    long _lastDrawMs = -1000;
    int _width;

    public static SweepProgress? ForConsole() => Console.IsErrorRedirected ? null : new SweepProgress(Console.Error);

    public void Update(SweepScheduler s) => Draw(s.Done, s.Total, s.Executed, s.Found, force: false);

    public void Draw(int done, int total, int executed, int found, bool force)
    {
        lock (_lock)
        {
            long now = _clock.ElapsedMilliseconds;
            if (!force && now - _lastDrawMs < 200) return;
            _lastDrawMs = now;
            string line = Format(done, total, executed, found, _clock.Elapsed);
            terminal.Write("\r" + line.PadRight(_width));
            _width = line.Length;
            terminal.Flush();
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            terminal.Write("\r" + new string(' ', _width) + "\r");
            terminal.Flush();
        }
    }

    /// <summary>
    /// "[#######.............]  12/48 runs  25%  4.1 s  ETA 12.3 s". The ETA divides the time so far
    /// by the runs this process executed (runs found on disk cost nothing), times the runs left.
    /// </summary>
    public static string Format(int done, int total, int executed, int found, TimeSpan elapsed)
    {
        const int bar = 24;
        double share = total > 0 ? (double)done / total : 1;
        int filled = (int)Math.Round(share * bar);
        var sb = new StringBuilder();
        sb.Append('[').Append('#', filled).Append('.', bar - filled).Append(']');
        sb.Append(CultureInfo.InvariantCulture, $"  {done}/{total} runs  {share * 100:0}%  {Seconds(elapsed.TotalSeconds)}");
        if (found > 0) sb.Append(CultureInfo.InvariantCulture, $"  ({found} resumed)");
        if (done < total)
            sb.Append("  ETA ").Append(executed > 0 ? Seconds(elapsed.TotalSeconds / executed * (total - done)) : "--");
        return sb.ToString();
    }

    static string Seconds(double s) => s < 120
        ? s.ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : TimeSpan.FromSeconds(Math.Round(s)).ToString(s < 3600 ? @"m\:ss" : @"h\:mm\:ss", CultureInfo.InvariantCulture);
}
