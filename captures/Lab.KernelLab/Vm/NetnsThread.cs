using System.Runtime.ExceptionServices;
using Lab.Captures.Native;

namespace Lab.KernelLab.Vm;

/// <summary>
/// Runs code inside a named network namespace (/run/netns/NAME, as `ip netns add` makes it).
/// setns(2) changes the namespace of the calling thread only, so the code runs on a thread
/// of its own, which returns to its original namespace before it ends. Sockets keep the
/// namespace they were created in, so a socket made here works from any thread afterwards.
/// </summary>
internal static class NetnsThread
{
    public static T Run<T>(string netnsName, Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            var self = Libc.Open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (self < 0)
            {
                error = ExceptionDispatchInfo.Capture(new VmException(Libc.Failed("open /proc/thread-self/ns/net")));
                return;
            }
            var target = Libc.Open("/run/netns/" + netnsName, Libc.O_RDONLY | Libc.O_CLOEXEC);
            try
            {
                if (target < 0)
                    throw new VmException(Libc.Failed("open /run/netns/" + netnsName));
                if (Libc.SetNs(target, Libc.CLONE_NEWNET) != 0)
                    throw new VmException(Libc.Failed("setns " + netnsName));
                try
                {
                    result = action();
                }
                finally
                {
                    Libc.SetNs(self, Libc.CLONE_NEWNET);
                }
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                if (target >= 0)
                    Libc.Close(target);
                Libc.Close(self);
            }
        })
        {
            IsBackground = true,
            Name = "netns " + netnsName,
        };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }
}
