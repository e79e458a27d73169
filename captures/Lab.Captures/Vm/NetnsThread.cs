using System.Runtime.ExceptionServices;

namespace Lab.Captures.Vm;

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
            var self = VmNative.open("/proc/thread-self/ns/net", VmNative.O_RDONLY | VmNative.O_CLOEXEC);
            if (self < 0)
            {
                error = ExceptionDispatchInfo.Capture(new VmException(VmNative.Errno("open /proc/thread-self/ns/net")));
                return;
            }
            var target = VmNative.open("/run/netns/" + netnsName, VmNative.O_RDONLY | VmNative.O_CLOEXEC);
            try
            {
                if (target < 0)
                    throw new VmException(VmNative.Errno("open /run/netns/" + netnsName));
                if (VmNative.setns(target, VmNative.CLONE_NEWNET) != 0)
                    throw new VmException(VmNative.Errno("setns " + netnsName));
                try
                {
                    result = action();
                }
                finally
                {
                    VmNative.setns(self, VmNative.CLONE_NEWNET);
                }
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                if (target >= 0)
                    VmNative.close(target);
                VmNative.close(self);
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
