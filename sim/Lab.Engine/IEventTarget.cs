namespace Lab.Engine;

/// <summary>
/// Receives the events it scheduled. One interface call per event is the engine's only
/// dispatch cost; <paramref name="kind"/>, <paramref name="arg"/> and <paramref name="data"/>
/// carry what a closure would, without allocating (a packet index, a core number, ...).
/// </summary>
public interface IEventTarget
{
    void OnEvent(int kind, int arg, long data);
}

/// <summary>A scheduled event; cancelling a handle whose event already ran or was cancelled does nothing.</summary>
public readonly record struct EventHandle(int Slot, uint Generation)
{
    public static readonly EventHandle None = new(-1, 0);

    public bool IsNone => Slot < 0;
}
