using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Lab.Cli.Tests;

/// <summary>
/// A real single-node Slurm on localhost (Debian's slurm-wlm and munge), private to one test:
/// its own munge key and socket, slurm.conf, state and spool folders under a temporary folder,
/// its own ports. Daemons run as root; no cgroups (proctrack/linuxproc, task/none), no
/// accounting daemon. Stopped with `scontrol shutdown` and `munged --stop`, then by the ids in
/// their pid files.
/// </summary>
sealed class SlurmCluster : IDisposable
{
    static readonly Lazy<string?> Probe = new(ProbeOnce);

    readonly string _dir;
    bool _stopped;

    SlurmCluster(string dir) => _dir = dir;

    public string Conf => Path.Combine(_dir, "slurm.conf");

    /// <summary>Why a Slurm cluster cannot run here, or null when one started and stopped cleanly.</summary>
    public static string? UnavailableReason() => Probe.Value;

    static string? ProbeOnce()
    {
        if (!OperatingSystem.IsLinux()) return "Slurm test: Linux only";
        if (Environment.UserName != "root") return "Slurm test: needs root to start munged, slurmctld and slurmd";
        string[] tools = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol"];
        if (tools.Any(t => Which(t) is null))
        {
            // The test's setup installs Debian's packages (CI's .ci/run does it beforehand).
            if (Which("apt-get") is null) return "Slurm test: slurm-wlm and munge are not installed and there is no apt-get";
            var psi = new ProcessStartInfo("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "slurm-wlm", "munge"]);
            psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            var (code, output) = Exec(psi, TimeSpan.FromMinutes(15));
            string? missing = tools.FirstOrDefault(t => Which(t) is null);
            if (missing is not null) return $"Slurm test: {missing} missing after apt-get install slurm-wlm munge (exit {code}): {Tail(output)}";
        }
        try
        {
            using var c = Start();
            return null;
        }
        catch (Exception ex)
        {
            return "Slurm test: the daemons did not start: " + ex.Message;
        }
    }

    public static SlurmCluster Start()
    {
        string dir = Directory.CreateTempSubdirectory("lab-slurm-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        var c = new SlurmCluster(dir);
        try
        {
            c.Boot();
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    void Boot()
    {
        string key = Path.Combine(_dir, "munge.key");
        File.WriteAllBytes(key, RandomNumberGenerator.GetBytes(1024));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead);
        string socket = Path.Combine(_dir, "munge.socket");
        Must(new ProcessStartInfo("munged", ["--force", $"--key-file={key}", $"--socket={socket}", $"--pid-file={Path.Combine(_dir, "munged.pid")}",
            $"--log-file={Path.Combine(_dir, "munged.log")}", $"--seed-file={Path.Combine(_dir, "munged.seed")}"]), "munged");

        Directory.CreateDirectory(Path.Combine(_dir, "state"));
        Directory.CreateDirectory(Path.Combine(_dir, "spool"));
        string host = Environment.MachineName.Split('.')[0];
        var conf = new StringBuilder();
        conf.Append(CultureInfo.InvariantCulture, $"""
            ClusterName=labtest
            SlurmctldHost={host}(127.0.0.1)
            SlurmUser=root
            SlurmdUser=root
            AuthType=auth/munge
            AuthInfo=socket={socket}
            CredType=cred/munge
            SlurmctldPort={FreePort()}
            SlurmdPort={FreePort()}
            StateSaveLocation={Path.Combine(_dir, "state")}
            SlurmdSpoolDir={Path.Combine(_dir, "spool")}
            SlurmctldPidFile={Path.Combine(_dir, "slurmctld.pid")}
            SlurmdPidFile={Path.Combine(_dir, "slurmd.pid")}
            SlurmctldLogFile={Path.Combine(_dir, "slurmctld.log")}
            SlurmdLogFile={Path.Combine(_dir, "slurmd.log")}
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            JobCompType=jobcomp/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_CPU
            SchedulerType=sched/backfill
            ReturnToService=2
            MpiDefault=none
            MinJobAge=600
            NodeName=localhost NodeAddr=127.0.0.1 CPUs={Environment.ProcessorCount} State=UNKNOWN
            PartitionName=lab Nodes=localhost Default=YES MaxTime=INFINITE State=UP

            """);
        File.WriteAllText(Conf, conf.ToString());
        Must(Slurm("slurmctld", "-f", Conf), "slurmctld");
        Must(Slurm("slurmd", "-f", Conf, "-N", "localhost"), "slurmd");
        var clock = Stopwatch.StartNew();
        string state = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            (_, state) = Exec(Slurm("sinfo", "-h", "-n", "localhost", "-o", "%t"), TimeSpan.FromSeconds(20));
            if (state.Trim() == "idle") return;
            Thread.Sleep(500);
        }
        throw new InvalidOperationException($"node localhost is '{state.Trim()}', not idle, after 60 s; slurmctld.log: {Tail(Log("slurmctld.log"))}; slurmd.log: {Tail(Log("slurmd.log"))}");
    }

    string Log(string name) => File.Exists(Path.Combine(_dir, name)) ? File.ReadAllText(Path.Combine(_dir, name)) : "(none)";

    public ProcessStartInfo Slurm(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args);
        psi.Environment["SLURM_CONF"] = Conf;
        return psi;
    }

    /// <summary>Submits a batch script; returns the job id.</summary>
    public string Submit(string script)
    {
        var (code, output) = Exec(Slurm("sbatch", "--parsable", script), TimeSpan.FromSeconds(60));
        if (code != 0) throw new InvalidOperationException($"sbatch exited {code}: {output}");
        return output.Trim().Split(';')[0];
    }

    /// <summary>Polls squeue until the job (all its array tasks) has left the queue; returns `scontrol show job` for it.</summary>
    public string WaitFor(string jobId, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var (_, q) = Exec(Slurm("squeue", "-h", "-j", jobId), TimeSpan.FromSeconds(20));
            if (q.Trim().Length == 0) return Exec(Slurm("scontrol", "show", "job", jobId), TimeSpan.FromSeconds(20)).Output;
            Thread.Sleep(1000);
        }
        throw new TimeoutException($"job {jobId} still queued after {timeout}: {Exec(Slurm("squeue", "-j", jobId), TimeSpan.FromSeconds(20)).Output}");
    }

    public void Dispose()
    {
        if (_stopped) return;
        _stopped = true;
        if (File.Exists(Conf)) Exec(Slurm("scontrol", "shutdown"), TimeSpan.FromSeconds(30));
        Exec(new ProcessStartInfo("munged", ["--stop", $"--socket={Path.Combine(_dir, "munge.socket")}"]), TimeSpan.FromSeconds(30));
        // Whatever did not stop: by the ids our daemons wrote, nothing else.
        foreach (var pidFile in new[] { "slurmd.pid", "slurmctld.pid", "munged.pid" })
        {
            string path = Path.Combine(_dir, pidFile);
            if (!File.Exists(path) || !int.TryParse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                using var p = Process.GetProcessById(pid);
                if (!p.WaitForExit(20_000)) p.Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
            // A daemon's last log line may race the delete; the folder is in /tmp.
        }
    }

    static void Must(ProcessStartInfo psi, string what)
    {
        var (code, output) = Exec(psi, TimeSpan.FromSeconds(60));
        if (code != 0) throw new InvalidOperationException($"{what} exited {code}: {Tail(output)}");
    }

    public static (int Code, string Output) Exec(ProcessStartInfo psi, TimeSpan timeout)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var o = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{psi.FileName} timed out after {timeout}");
        }
        return (p.ExitCode, o.Result + err.Result);
    }

    static string? Which(string tool)
    {
        foreach (var d in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]))
        {
            if (d.Length > 0 && File.Exists(Path.Combine(d, tool))) return Path.Combine(d, tool);
        }
        return null;
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    static string Tail(string s) => s.Length > 600 ? "..." + s[^600..] : s;
}

/// <summary>A test that needs a Slurm cluster on localhost; skipped with the reason when its daemons cannot start.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (SlurmCluster.UnavailableReason() is string reason) Skip = reason;
    }
}

/// <summary>The emitted job array, run by a real Slurm, merges into exactly what a local sweep writes.</summary>
[Collection(SweepProcessCollection.Name)]
public sealed class SweepSlurmTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-sweep-slurm-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [SlurmFact]
    public void A_slurm_job_array_of_four_shards_merges_into_the_results_of_a_local_sweep()
    {
        string f = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(f, SweepCommandTests.Scenario);
        string shared = Path.Combine(_dir, "shared");
        var se = new StringWriter();
        Assert.True(LabCommand.Run(["sweep", f, "--emit", "slurm", "--shards", "4", "--out", shared], new StringWriter(), se) == 0, se.ToString());

        using var cluster = SlurmCluster.Start();
        string job = cluster.Submit(Path.Combine(shared, "sweep.sbatch"));
        string info = cluster.WaitFor(job, TimeSpan.FromMinutes(10));
        string logs = string.Join("\n", Directory.GetFiles(shared, "slurm-*.out").Order(StringComparer.Ordinal).Select(File.ReadAllText));
        // Four array tasks, each COMPLETED with exit code 0.
        Assert.True(4 == info.Split("ArrayTaskId=").Length - 1, info);
        Assert.True(4 == info.Split("JobState=COMPLETED").Length - 1, info + logs);
        Assert.True(4 == info.Split("ExitCode=0:0").Length - 1, info + logs);
        for (int i = 0; i < 4; i++) Assert.True(File.Exists(Path.Combine(shared, $"slurm-{job}_{i}.out")), $"no output of task {i}");

        var shards = Enumerable.Range(0, 4).Select(i => Path.Combine(shared, $"shard-{i}")).ToArray();
        // 6 runs in 4 shards: k mod 4 gives shards of 2, 2, 1 and 1 runs.
        Assert.Equal([2, 2, 1, 1], shards.Select(s => LabProcess.RunFiles(s).Count));
        se = new StringWriter();
        Assert.True(LabCommand.Run(["merge", .. shards, "--out", Path.Combine(_dir, "merged"), "--no-store"], new StringWriter(), se) == 0, se.ToString());
        se = new StringWriter();
        Assert.True(LabCommand.Run(["sweep", f, "--out", Path.Combine(_dir, "local"), "--no-store"], new StringWriter(), se) == 0, se.ToString());
        SweepCommandTests.AssertSameResults(Path.Combine(_dir, "local"), Path.Combine(_dir, "merged"));
    }
}
