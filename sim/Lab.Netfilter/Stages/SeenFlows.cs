namespace Lab.Netfilter.Stages;

/// <summary>
/// Which flow ids the stage has already seen: one bit per id in pages of 65,536 ids, allocated when
/// an id in them first appears (flow ids of one traffic source are dense from source x 2^24), so
/// a run allocates a few pages at start-up and nothing per packet afterwards.
/// </summary>
public sealed class SeenFlows
{
    const int PageBits = 16;
    const int PageWords = (1 << PageBits) / 64;
    readonly ulong[]?[] _pages = new ulong[]?[1 << (31 - PageBits)];

    /// <summary>Marks <paramref name="flow"/> seen; returns whether it was seen before.</summary>
    public bool TestAndSet(int flow)
    {
        if (flow < 0) flow &= int.MaxValue;
        var page = _pages[flow >> PageBits] ??= new ulong[PageWords];
        int bit = flow & ((1 << PageBits) - 1);
        ulong mask = 1UL << (bit & 63);
        ref ulong word = ref page[bit >> 6];
        bool seen = (word & mask) != 0;
        word |= mask;
        return seen;
    }

    /// <summary>Forgets <paramref name="flow"/>: its next packet starts it again (a dropped SYN is retransmitted).</summary>
    public void Unset(int flow)
    {
        if (flow < 0) flow &= int.MaxValue;
        if (_pages[flow >> PageBits] is { } page) page[(flow & ((1 << PageBits) - 1)) >> 6] &= ~(1UL << (flow & 63));
    }
}
