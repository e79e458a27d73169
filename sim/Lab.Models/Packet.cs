namespace Lab.Models;

[Flags]
public enum PacketFlags : byte
{
    None = 0,
    /// <summary>The first packet of its flow (a TCP SYN, the first UDP datagram of a mapping).</summary>
    FlowFirst = 1,
    /// <summary>The last packet of its flow (a TCP FIN).</summary>
    FlowLast = 2,
    /// <summary>A reply-direction packet.</summary>
    Reply = 4,
    /// <summary>
    /// A packet of a <c>script</c> traffic source: its tuple, direction, TCP flags, SPI and sequence
    /// number are in the source's <see cref="Traffic.ScriptTrace"/> row <see cref="Packet.Tag"/>
    /// (<see cref="SimulationContext.Script"/> finds the trace by <see cref="Packet.Source"/>).
    /// </summary>
    Scripted = 8,
}

/// <summary>
/// A simulated packet. Lives in a <see cref="PacketPool"/> and is addressed by index, so that
/// moving a packet through the path copies an int, not the packet.
/// </summary>
public struct Packet
{
    /// <summary>When the generator emitted it (ps).</summary>
    public long CreatedAt;
    /// <summary>The generator's sequence number for it, from 1 (or the explicit one of a sequence source).</summary>
    public long Seq;
    public int Flow;
    /// <summary>Ethernet frame bytes including header and FCS, excluding preamble and inter-frame gap.</summary>
    public int Size;
    /// <summary>The L3 bytes the user sent (goodput); unchanged by encapsulation.</summary>
    public int InnerBytes;
    public short Source;
    public byte Dscp;
    public PacketFlags Flags;
    /// <summary>Scratch a model may use while the packet is in its stage (e.g. an SA index).</summary>
    public int Tag;
    /// <summary>More scratch for a model (e.g. the replay ticket an ESP packet carries through async crypto).</summary>
    public long Aux;
}

/// <summary>Pooled packet storage: allocation-free in steady state (a free list over a growing array).</summary>
public sealed class PacketPool
{
    Packet[] _packets;
    int[] _free;
    int _freeCount;
    int _used;

    public PacketPool(int initialCapacity = 4096)
    {
        _packets = new Packet[initialCapacity];
        _free = new int[initialCapacity];
    }

    /// <summary>Packets currently allocated (in flight).</summary>
    public int InUse => _used - _freeCount;

    public int Allocate()
    {
        int i;
        if (_freeCount > 0) i = _free[--_freeCount];
        else
        {
            if (_used == _packets.Length)
            {
                Array.Resize(ref _packets, _packets.Length * 2);
                Array.Resize(ref _free, _packets.Length);
            }
            i = _used++;
        }
        _packets[i] = default;
        return i;
    }

    public void Free(int index) => _free[_freeCount++] = index;

    public ref Packet this[int index] => ref _packets[index];
}

/// <summary>Anything a packet can be handed to: the next element of the path.</summary>
public interface IPacketReceiver
{
    void Receive(int packet);
}
