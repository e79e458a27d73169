using System.Diagnostics;

namespace Lab.Results.Tests;

/// <summary>Run sets to record, and a real second process holding the store's lock.</summary>
static class StoreFixtures
{
    public static RunSet Set(string name, long seed, int points = 2, int replications = 2)
    {
        var ps = new List<PointResult>();
        for (int p = 0; p < points; p++)
        {
            var reps = new List<ReplicationResult>();
            for (int r = 0; r < replications; r++)
                reps.Add(new ReplicationResult(r, [new MetricValue("delivered_pps", "pps", 1000 * p + r)], [], [], 10));
            ps.Add(new PointResult(p, [new("traffic.bulk.rate", $"{p + 1}Gbit/s")], reps));
        }
        return new RunSet(name, "", $"name: {name}\nrun: {{ seed: {seed} }}\n", 0.01, 0, seed, replications, ["traffic.bulk.rate"], ps);
    }

    public static Provenance Provenance() => new(DateTimeOffset.UtcNow, "test", "test", "test", "test");

    /// <summary>
    /// Holds an fcntl write lock on the whole file, as a DuckDB writer in another process does
    /// (struct flock on x86-64: l_type, l_whence as shorts, padding, l_start, l_len as 64-bit, l_pid).
    /// perl is part of every Debian base system (perl-base is essential).
    /// </summary>
    public static Process HoldLock(string file, TimeSpan hold)
    {
        const string script = """
            use strict; use Fcntl qw(:DEFAULT :seek);
            $| = 1;
            open(my $fh, "+<", $ARGV[0]) or die "open: $!";
            my $lock = pack("s s x4 q q l x4", F_WRLCK, SEEK_SET, 0, 0, 0);
            fcntl($fh, F_SETLK, $lock) or die "lock: $!";
            print "locked\n";
            select(undef, undef, undef, $ARGV[1]);
            """;
        var psi = new ProcessStartInfo("perl") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-e");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(file);
        psi.ArgumentList.Add(hold.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var p = Process.Start(psi)!;
        string? line = p.StandardOutput.ReadLine();
        // stderr only when it failed: reading it waits for the holder to exit.
        if (line != "locked") Assert.Fail("the lock holder did not start: " + p.StandardError.ReadToEnd());
        return p;
    }
}
