using System.Runtime.ExceptionServices;
using Lab.Captures.AfPacket;
using Lab.Captures.Native;
using Lab.Core;

namespace Lab.Captures.Netns;

/// <summary>
/// Runs code inside a named network namespace (one that <c>ip netns add</c> created, bound at
/// /var/run/netns/NAME). setns(2) moves only the calling thread, so the code runs on a
/// dedicated thread that enters the namespace, runs, and returns to the original namespace
/// before it ends; the process and thread pool stay where they were. A socket keeps the
/// namespace it was created in, so an AF_PACKET socket opened here can be used from any thread.
/// </summary>
public static class NetworkNamespace
{
    public const string RunDirectory = "/var/run/netns";

    public static string PathOf(string name) => Path.Combine(RunDirectory, name);

    public static bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>Runs <paramref name="action"/> in namespace <paramref name="name"/>, or right here when it is null.</summary>
    public static T Run<T>(string? name, Func<T> action)
    {
        if (name is null) return action();
        if (name.Length == 0 || name.Contains('/') || name is "." or "..")
            throw new LabInputException($"--netns: expected the name of a network namespace under {RunDirectory}, found '{name}'");
        if (!Exists(name))
            throw new LabInputException($"--netns: no network namespace '{name}' ({PathOf(name)} does not exist; create it with 'ip netns add {name}')");
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = RunHere(name, action);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }) { IsBackground = true, Name = "netns " + name };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    static T RunHere<T>(string name, Func<T> action)
    {
        using var original = File.OpenHandle("/proc/thread-self/ns/net", FileMode.Open, FileAccess.Read);
        using var target = File.OpenHandle(PathOf(name), FileMode.Open, FileAccess.Read);
        if (Libc.SetNs((int)target.DangerousGetHandle(), Libc.CLONE_NEWNET) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"setns into network namespace '{name}' failed: {Libc.ErrorText(errno)}" +
                (errno == Libc.EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : ""));
        }
        try
        {
            return action();
        }
        finally
        {
            // If this fails the thread still ends here, taking the namespace with it.
            Libc.SetNs((int)original.DangerousGetHandle(), Libc.CLONE_NEWNET);
        }
    }
}
