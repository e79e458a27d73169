using Lab.KernelLab.Cleanup;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Lab.KernelLab.Vm;

/// <summary>
/// A Debian 6.1 kernel booted under qemu with software emulation (-accel tcg; KVM is not
/// usable on the lab's machines), for the datapath features the host kernel lacks (ESP,
/// flowtables). Commands run in the guest through a control agent on a virtio-serial port
/// (<see cref="VmProtocol"/>); frames reach the guest through tap devices in a network
/// namespace this object creates (<see cref="OpenTap"/>). Dispose kills qemu and removes
/// the taps and the namespace; so do failures, Ctrl-C and normal process exit.
/// </summary>
public sealed class KernelVm : IDisposable
{
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(30);

    private readonly KernelVmOptions _options;
    private readonly VmNetns _netns;
    private readonly DirectoryInfo _work;
    private readonly Process _qemu;
    private readonly BlockingCollection<string> _lines = new();
    private readonly StringBuilder _qemuStderr = new();
    private readonly Lock _gate = new();
    private readonly Lock _disposeGate = new();
    private readonly StreamWriter _trace;
    private int _nextId;
    private int _disposed;
    private bool _keepForDiagnosis;
    private string? _faulted;

    private KernelVm(KernelVmOptions options, VmImage image, VmNetns netns, DirectoryInfo work, Process qemu)
    {
        _options = options;
        Image = image;
        _netns = netns;
        _work = work;
        _qemu = qemu;
        _trace = new StreamWriter(Path.Combine(work.FullName, "control.log")) { AutoFlush = true };
    }

    public VmImage Image { get; }

    /// <summary>uname -r as the guest's agent reported it.</summary>
    public string KernelRelease { get; private set; } = "";

    /// <summary>The namespace that holds qemu and the taps (labvm-PID-N).</summary>
    public string NetnsName => _netns.Name;

    public IReadOnlyList<VmNic> Nics => _netns.Nics;

    /// <summary>From starting qemu to the agent's ready line.</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>The guest's serial console (kernel messages, init's messages).</summary>
    public string ConsoleLogPath => Path.Combine(_work.FullName, "console.log");

    /// <summary>qemu's process id (from its -pidfile, written once it runs).</summary>
    public int QemuProcessId { get; private set; }

    /// <summary>Boots a guest and waits until its control agent answers.</summary>
    /// <exception cref="VmUnavailableException">qemu, root or the image is missing.</exception>
    /// <exception cref="VmException">The guest did not come up.</exception>
    public static KernelVm Boot(KernelVmOptions? options = null)
    {
        options ??= new KernelVmOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Cpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MemoryMiB, 128);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Nics);
        var missing = VmPrerequisites.HostMissingReason();
        if (missing is not null)
            throw new VmUnavailableException(missing);
        var image = options.Image ?? VmPrerequisites.Image;

        var netns = VmNetns.Create(options.Nics);
        DirectoryInfo? work = null;
        KernelVm? vm = null;
        try
        {
            options.Cancellation.ThrowIfCancellationRequested();
            work = Directory.CreateTempSubdirectory(netns.Name + "-");
            OwnedResources.Mark(OwnedKind.TempDirectory, work.FullName);
            var psi = new ProcessStartInfo("ip")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardInputEncoding = new UTF8Encoding(false),
            };
            foreach (var a in QemuArguments(options, image, netns, work.FullName))
                psi.ArgumentList.Add(a);
            var qemu = new Process { StartInfo = psi };
            vm = new KernelVm(options, image, netns, work, qemu);
            ExitCleanup.Register(vm);
            var clock = Stopwatch.StartNew();
            qemu.Start();
            vm.StartReaders();
            vm.WaitReady(options.BootTimeout);
            vm.BootTime = clock.Elapsed;
            vm.QemuProcessId = int.Parse(File.ReadAllText(Path.Combine(work.FullName, "qemu.pid")).Trim(), CultureInfo.InvariantCulture);
            return vm;
        }
        catch (Exception e)
        {
            if (vm is not null)
            {
                // A failed boot's error message names its console.log; an interrupted one leaves nothing.
                vm._keepForDiagnosis = e is not OperationCanceledException;
                vm.Dispose();
            }
            else
            {
                netns.Dispose();
                if (work is not null)
                {
                    work.Delete(recursive: true);
                    OwnedResources.Unmark(OwnedKind.TempDirectory, work.FullName);
                }
            }
            throw;
        }
    }

    /// <summary>
    /// Runs qemu (its arguments follow the harness's pid) and kills it within a second of the
    /// harness's death. Needed because a harness killed with SIGKILL closes qemu's stdin and
    /// stdout, yet qemu keeps running: a guest answer written to the dead stdout throttles the
    /// virtio-serial port, the agent blocks in that write, and never sees the end of its input.
    /// </summary>
    private const string Lifeline =
        // A background job's stdin is /dev/null before its redirections apply: keep a copy.
        "h=$1; shift; exec 3<&0; \"$@\" <&3 3<&- & q=$!; exec 3<&-; " +
        "while kill -0 \"$h\" 2>/dev/null && kill -0 \"$q\" 2>/dev/null; do sleep 1; done; " +
        "kill -KILL \"$q\" 2>/dev/null; wait \"$q\"";

    /// <summary>The command line: `ip netns exec NS sh -c LIFELINE labvm-qemu HARNESS-PID qemu-system-x86_64 ...`.</summary>
    public static IReadOnlyList<string> QemuArguments(KernelVmOptions options, VmImage image, VmNetns netns, string workDir)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(netns);
        foreach (var p in new[] { image.KernelPath, image.InitrdPath, workDir })
        {
            if (p.Contains(',', StringComparison.Ordinal))
                throw new VmUnavailableException($"qemu cannot take a path with a comma: {p}");
        }
        var inv = CultureInfo.InvariantCulture;
        var append = "console=ttyS0 quiet panic=-1 " + options.ExtraKernelArguments;
        var args = new List<string>
        {
            "netns", "exec", netns.Name, "sh", "-c", Lifeline, "labvm-qemu",
            Environment.ProcessId.ToString(inv), "qemu-system-x86_64",
            "-pidfile", Path.Combine(workDir, "qemu.pid"),
            "-accel", "tcg",
            "-machine", "pc",
            "-smp", options.Cpus.ToString(inv),
            "-m", options.MemoryMiB.ToString(inv),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", image.KernelPath,
            "-initrd", image.InitrdPath,
            "-append", append.Trim(),
            "-chardev", $"file,id=con,path={Path.Combine(workDir, "console.log")}",
            "-serial", "chardev:con",
            "-device", "virtio-serial-pci,id=vser",
            "-chardev", "stdio,id=ctl,signal=off",
            "-device", "virtserialport,bus=vser.0,chardev=ctl,name=lab.ctl",
            // For debugging by hand: socat - unix:WORKDIR/monitor.sock (info chardev, info status).
            "-monitor", $"unix:{Path.Combine(workDir, "monitor.sock")},server=on,wait=off",
        };
        foreach (var nic in netns.Nics)
        {
            args.Add("-netdev");
            args.Add(string.Create(inv, $"tap,id=n{nic.Index},ifname={nic.TapName},script=no,downscript=no"));
            args.Add("-device");
            // Fixed PCI slots after the serial device keep eth0, eth1, ... in NIC order.
            args.Add(string.Create(inv, $"virtio-net-pci,netdev=n{nic.Index},mac={nic.GuestMac},addr=0x{0x10 + nic.Index:x}"));
        }
        return args;
    }

    /// <summary>
    /// Runs a shell script in the guest (busybox sh, with ip/tc/modprobe routed to the real
    /// tools) and returns its exit code and output. Stdin is /dev/null.
    /// </summary>
    /// <exception cref="VmCommandTimeoutException">It ran past <paramref name="timeout"/>; the guest killed it.</exception>
    /// <exception cref="VmException">qemu died or the channel broke; the VM is unusable afterwards.</exception>
    public VmCommandResult Run(string command, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        var limit = timeout ?? _options.CommandTimeout;
        var seconds = Math.Max(1, (int)Math.Ceiling(limit.TotalSeconds));
        _options.Cancellation.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_faulted is not null)
                throw new VmException("the VM is unusable: " + _faulted);
            var id = ++_nextId;
            Trace($"> {id} {seconds}s {command.Replace('\n', ';')}");
            try
            {
                _qemu.StandardInput.Write(VmProtocol.FormatRequest(id, seconds, command));
                _qemu.StandardInput.Write('\n');
                _qemu.StandardInput.Flush();
            }
            catch (IOException e)
            {
                throw Fault("cannot write to qemu: " + e.Message);
            }
            var answer = new VmAnswerAssembler(id);
            var deadline = Stopwatch.StartNew();
            var wait = TimeSpan.FromSeconds(seconds) + AnswerGrace;
            while (true)
            {
                var left = wait - deadline.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    Fault($"no answer to a command within {wait.TotalSeconds:0} s");
                    throw new VmCommandTimeoutException($"the guest did not answer within {wait.TotalSeconds:0} s: {command}");
                }
                string? line;
                try
                {
                    if (!_lines.TryTake(out line, Milliseconds(left), _options.Cancellation))
                        continue;
                }
                catch (OperationCanceledException)
                {
                    // The answer may still come: the channel is out of step from here on.
                    _faulted = "interrupted";
                    throw;
                }
                catch (InvalidOperationException)
                {
                    throw Fault("qemu exited");
                }
                bool complete;
                try
                {
                    complete = answer.Add(line);
                }
                catch (VmException e)
                {
                    throw Fault(e.Message);
                }
                if (!complete)
                    continue;
                Trace($"< {id} exit {answer.Result!.ExitCode}{(answer.TimedOut ? " timed out" : "")}");
                if (answer.TimedOut)
                    throw new VmCommandTimeoutException($"guest command killed after {seconds} s: {command}", answer.Result);
                return answer.Result!;
            }
        }
    }

    /// <summary>Runs and throws <see cref="VmCommandException"/> unless the exit code is 0; returns stdout.</summary>
    public string RunChecked(string command, TimeSpan? timeout = null)
    {
        var r = Run(command, timeout);
        return r.ExitCode == 0 ? r.Stdout : throw new VmCommandException(command, r);
    }

    /// <summary>Writes a text file in the guest (for example an nft ruleset for `nft -f`).</summary>
    public void WriteFile(string guestPath, string content)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestPath);
        ArgumentNullException.ThrowIfNull(content);
        if (guestPath.Contains('\'', StringComparison.Ordinal))
            throw new ArgumentException("guest path must not contain a quote", nameof(guestPath));
        var b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(content));
        RunChecked($"mkdir -p \"$(dirname '{guestPath}')\" && echo {b64} | base64 -d > '{guestPath}'");
    }

    /// <summary>An AF_PACKET socket on the tap of link <paramref name="nic"/>, in the VM's namespace.</summary>
    public TapPort OpenTap(int nic = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return TapPort.Open(_netns.Name, Nics[nic].TapName);
    }

    /// <summary>The last lines of the guest's console, for error messages.</summary>
    public string ConsoleTail(int lines = 30)
    {
        try
        {
            using var fs = new FileStream(ConsoleLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(fs);
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no console log)";
        }
    }

    public void Dispose()
    {
        // Held for the whole teardown: a concurrent Dispose (the exit path after Ctrl-C) returns only once qemu,
        // the namespace and the work folder are gone.
        lock (_disposeGate)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            StopQemu();
            _qemu.Dispose();
            _netns.Dispose();
            lock (_trace)
                _trace.Dispose();
            var keep = _options.KeepWorkDirectory || _keepForDiagnosis || Environment.GetEnvironmentVariable("LAB_VM_KEEP") == "1";
            if (keep)
            {
                File.WriteAllText(Path.Combine(_work.FullName, "KEEP"), "kept for debugging (KernelVmOptions.KeepWorkDirectory or LAB_VM_KEEP=1)\n");
                OwnedResources.Unmark(OwnedKind.TempDirectory, _work.FullName);
            }
            else
            {
                try
                {
                    _work.Delete(recursive: true);
                    OwnedResources.Unmark(OwnedKind.TempDirectory, _work.FullName);
                }
                catch (IOException)
                {
                    // Left for the next run's sweep (its marker stays).
                }
            }
            _lines.Dispose();
            // Last: until here the exit path (ExitCleanup) still sees this and waits for the teardown.
            ExitCleanup.Unregister(this);
        }
    }

    /// <summary>
    /// Kills qemu, then lets the lifeline shell reap it and exit (so qemu's pid is gone, not a
    /// zombie, when Dispose returns); kills the whole tree if the shell does not exit.
    /// </summary>
    private void StopQemu()
    {
        try
        {
            if (_qemu.HasExited)
                return;
        }
        catch (InvalidOperationException)
        {
            return; // never started
        }
        var pidFile = Path.Combine(_work.FullName, "qemu.pid");
        if (QemuProcessId == 0 && File.Exists(pidFile)
            && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            QemuProcessId = pid;
        if (QemuProcessId > 0)
        {
            try
            {
                using var qemu = Process.GetProcessById(QemuProcessId);
                qemu.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
        if (!_qemu.WaitForExit(10_000))
        {
            _qemu.Kill(entireProcessTree: true);
            _qemu.WaitForExit(10_000);
        }
    }

    private void StartReaders()
    {
        _qemu.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_qemuStderr) _qemuStderr.Append(e.Data).Append('\n');
        };
        _qemu.BeginErrorReadLine();
        var stdout = _qemu.StandardOutput;
        var reader = new Thread(() =>
        {
            try
            {
                while (stdout.ReadLine() is { } line)
                {
                    if (line.StartsWith("@@", StringComparison.Ordinal))
                        Trace("< " + line);
                    _lines.Add(line);
                }
                Trace("qemu closed its output");
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // qemu went away or the VM is being disposed.
            }
            finally
            {
                try
                {
                    _lines.CompleteAdding();
                }
                catch (ObjectDisposedException)
                {
                    // Disposed first.
                }
            }
        })
        {
            IsBackground = true,
            Name = "qemu control " + _netns.Name,
        };
        reader.Start();
    }

    private void WaitReady(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var left = timeout - clock.Elapsed;
            string? line;
            try
            {
                if (left <= TimeSpan.Zero || !_lines.TryTake(out line, Milliseconds(left), _options.Cancellation))
                    throw new VmException($"the guest did not come up within {timeout.TotalSeconds:0} s.{Diagnostics()}");
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (InvalidOperationException)
            {
                throw new VmException($"qemu exited during boot.{Diagnostics()}");
            }
            if (line.StartsWith(VmProtocol.Ready + " ", StringComparison.Ordinal))
            {
                KernelRelease = line[(VmProtocol.Ready.Length + 1)..].Trim();
                return;
            }
        }
    }

    private static int Milliseconds(TimeSpan t) => (int)Math.Clamp(Math.Ceiling(t.TotalMilliseconds), 0, int.MaxValue);

    /// <summary>control.log in the work directory: every request and its exit code, with times.</summary>
    private void Trace(string text)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:HH:mm:ss.fff} {(text.Length > 300 ? text[..300] + "..." : text)}");
        lock (_trace)
        {
            try
            {
                _trace.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The reader thread can outlive Dispose by a moment.
            }
        }
    }

    private VmException Fault(string why)
    {
        Trace("fault: " + why);
        _faulted = why;
        return new VmException(why + "." + Diagnostics());
    }

    private string Diagnostics()
    {
        string err;
        lock (_qemuStderr)
            err = _qemuStderr.ToString().Trim();
        return $"\nqemu stderr: {(err.Length == 0 ? "(empty)" : err)}\nguest console ({ConsoleLogPath}):\n{ConsoleTail()}";
    }
}
