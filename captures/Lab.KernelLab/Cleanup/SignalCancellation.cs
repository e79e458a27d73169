using System.Runtime.InteropServices;

namespace Lab.KernelLab.Cleanup;

/// <summary>
/// Turns SIGINT (Ctrl-C) and SIGTERM into cancellation for a command-line process: the first signal
/// cancels <see cref="Token"/>, and the work unwinds, its <c>using</c> blocks removing what it made.
/// Work that does not unwind within <see cref="Grace"/> (a blocking call that takes no token), or a
/// second signal, ends the process: everything in <see cref="ExitCleanup"/> is disposed, the
/// interrupted report is written, and the process exits with 128 + the signal (130 for SIGINT, 143
/// for SIGTERM, as shells report them). Install once, in Main.
/// </summary>
#pragma warning disable CA1001 // the token source and event outlive Dispose on purpose (see Dispose)
public sealed class SignalCancellation : IDisposable
#pragma warning restore CA1001
{
    public const int SigIntExitCode = 130;
    public const int SigTermExitCode = 143;

    readonly CancellationTokenSource _source = new();
    readonly ManualResetEventSlim _finished = new();
    readonly PosixSignalRegistration[] _registrations;
    readonly Action _reportInterrupted;
    int _exitCode;

    SignalCancellation(TimeSpan grace, Action reportInterrupted)
    {
        Grace = grace;
        _reportInterrupted = reportInterrupted;
        ExitCleanup.HostHandlesSignals = true;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <param name="grace">How long the work may take to unwind after the first signal.</param>
    /// <param name="reportInterrupted">Writes the one-line report (called at most once by this object's forced exit; the caller guards against writing it twice).</param>
    public static SignalCancellation Install(TimeSpan grace, Action reportInterrupted) => new(grace, reportInterrupted);

    public CancellationToken Token => _source.Token;

    public TimeSpan Grace { get; }

    /// <summary>130 or 143 once a signal arrived, else 0.</summary>
    public int ExitCode => Volatile.Read(ref _exitCode);

    /// <summary>The work has returned: no forced exit from here on.</summary>
    public void Finished() => _finished.Set();

    void OnSignal(PosixSignalContext context)
    {
        // Never the runtime's default action (an immediate exit that skips every cleanup).
        context.Cancel = true;
        int code = context.Signal == PosixSignal.SIGTERM ? SigTermExitCode : SigIntExitCode;
        if (Interlocked.CompareExchange(ref _exitCode, code, 0) != 0)
        {
            ForceExit();
            return;
        }
        try
        {
            _source.Cancel();
        }
        catch (AggregateException)
        {
            // A callback failed; the watchdog below still bounds the exit.
        }
        var watchdog = new Thread(() =>
        {
            if (!_finished.Wait(Grace)) ForceExit();
        }) { IsBackground = true, Name = "interrupt watchdog" };
        watchdog.Start();
    }

    void ForceExit()
    {
        if (_finished.IsSet) return;
        ExitCleanup.DisposeAll();
        _reportInterrupted();
        Environment.Exit(ExitCode);
    }

    /// <summary>Unregisters the handlers. (The token source and event stay: a watchdog may still look at them.)</summary>
    public void Dispose()
    {
        _finished.Set();
        foreach (var r in _registrations) r.Dispose();
        ExitCleanup.HostHandlesSignals = false;
    }
}
