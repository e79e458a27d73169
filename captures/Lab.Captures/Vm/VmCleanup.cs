using System.Runtime.InteropServices;

namespace Lab.Captures.Vm;

/// <summary>
/// Tears down every live <see cref="KernelVm"/> when the process ends normally or on
/// SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGQUIT; the default action of the signal then
/// proceeds. (SIGKILL cannot be caught: then qemu powers off when its control port closes,
/// and the next harness removes the namespace with <see cref="VmNetns.SweepStale"/>.)
/// </summary>
internal static class VmCleanup
{
    private static readonly Lock s_gate = new();
    private static readonly List<IDisposable> s_live = [];
    private static List<PosixSignalRegistration>? s_registrations;

    public static void Register(IDisposable owner)
    {
        lock (s_gate)
        {
            s_live.Add(owner);
            if (s_registrations is not null)
                return;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();
            s_registrations = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }
                .Select(s => PosixSignalRegistration.Create(s, _ => DisposeAll()))];
        }
    }

    public static void Unregister(IDisposable owner)
    {
        lock (s_gate)
            s_live.Remove(owner);
    }

    private static void DisposeAll()
    {
        IDisposable[] all;
        lock (s_gate)
        {
            all = [.. s_live];
            s_live.Clear();
        }
        foreach (var d in all)
        {
            try
            {
                d.Dispose();
            }
            catch (Exception)
            {
                // Best effort at exit: one failed teardown must not stop the others.
            }
        }
    }
}
