namespace Lab.Models.Path;

/// <summary>
/// A FIFO of packet indices with a capacity in packets and/or bytes (0 = no limit of that
/// kind): tail drop, as a pfifo/bfifo qdisc or a NIC ring does.
/// </summary>
public sealed class PacketQueue
{
    int[] _ring;
    int _head;
    readonly int _capacityPackets;
    readonly long _capacityBytes;

    public PacketQueue(int capacityPackets, long capacityBytes)
    {
        _capacityPackets = capacityPackets;
        _capacityBytes = capacityBytes;
        // A power of two, so that wrapping is a mask (an integer division per packet showed in profiles).
        _ring = new int[System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(capacityPackets > 0 ? Math.Min(capacityPackets, 1 << 16) : 1024))];
    }

    public int Count { get; private set; }
    public long Bytes { get; private set; }

    public bool TryEnqueue(int packet, int size)
    {
        if (_capacityPackets > 0 && Count >= _capacityPackets) return false;
        if (_capacityBytes > 0 && Bytes + size > _capacityBytes) return false;
        if (Count == _ring.Length) Grow();
        _ring[(_head + Count) & (_ring.Length - 1)] = packet;
        Count++;
        Bytes += size;
        return true;
    }

    public int Dequeue(int size)
    {
        int p = _ring[_head];
        _head = (_head + 1) & (_ring.Length - 1);
        Count--;
        Bytes -= size;
        return p;
    }

    public int Peek() => _ring[_head];

    void Grow()
    {
        var bigger = new int[_ring.Length * 2];
        for (int i = 0; i < Count; i++) bigger[i] = _ring[(_head + i) & (_ring.Length - 1)];
        _ring = bigger;
        _head = 0;
    }
}
