using System.Runtime.InteropServices;

namespace Lab.Engine;

/// <summary>
/// An event as the queue stores it: 32 bytes carrying its target and arguments inline, so that
/// running it touches no other memory than the queue's own buckets. <see cref="Timer"/> is the
/// pooled timer slot of a cancellable event, or -1.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct ScheduledEvent
{
    public long Time;
    public long Data;
    public int Target;
    public int Kind;
    public int Arg;
    public int Timer;
}
