using System.Runtime.InteropServices;

namespace Lab.KernelLab.Cleanup;

/// <summary>
/// Every live thing the lab made outside its own memory (a VM, a namespace topology, a temp folder)
/// registers here and unregisters when disposed. <see cref="DisposeAll"/> runs at a normal process exit
/// (AppDomain.ProcessExit, also after SIGTERM's orderly exit) and when a host gives up waiting for
/// its work to unwind after Ctrl-C.
/// <para>
/// Signals: a host that handles SIGINT and SIGTERM itself (the lab CLI cancels its work and lets
/// <c>using</c> dispose everything on the thread that uses it) sets <see cref="HostHandlesSignals"/>;
/// disposing from the signal thread meanwhile would pull a VM from under the thread still talking to
/// it. In any other host (a test runner) the first SIGINT, SIGTERM, SIGHUP or SIGQUIT disposes
/// everything here and the signal's default action then proceeds. SIGKILL cannot be caught:
/// <see cref="OwnedResources"/> markers let the next run remove what is left.
/// </para>
/// </summary>
public static class ExitCleanup
{
    static readonly Lock Gate = new();
    static readonly List<IDisposable> Live = [];
    static List<PosixSignalRegistration>? _registrations;

    /// <summary>Set by a host that turns SIGINT and SIGTERM into cancellation of its own work.</summary>
    public static bool HostHandlesSignals { get; set; }

    public static void Register(IDisposable owner)
    {
        lock (Gate)
        {
            Live.Add(owner);
            if (_registrations is not null) return;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();
            _registrations = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }
                .Select(s => PosixSignalRegistration.Create(s, _ =>
                {
                    if (!HostHandlesSignals) DisposeAll();
                }))];
        }
    }

    public static void Unregister(IDisposable owner)
    {
        lock (Gate) Live.Remove(owner);
    }

    /// <summary>How many registered things are still live.</summary>
    public static int Count
    {
        get { lock (Gate) return Live.Count; }
    }

    /// <summary>Disposes everything registered, newest first; one failing teardown does not stop the others.</summary>
    public static void DisposeAll()
    {
        IDisposable[] all;
        lock (Gate)
        {
            all = [.. Live];
            Live.Clear();
        }
        for (int i = all.Length - 1; i >= 0; i--)
        {
            try
            {
                all[i].Dispose();
            }
            catch (Exception)
            {
                // Best effort at exit.
            }
        }
    }
}
