namespace Lab.Netfilter;

/// <summary>
/// Hash chains over array indices, as conntrack's and the flowtable's hash tables keep them
/// (an hlist per bucket, each entry on two nodes: original and reply direction). A node's
/// previous link is the previous node, or -(bucket + 1) at the head, or <see cref="Unlinked"/>.
/// An unlinked node keeps its next link, so a walker standing on it can still move on, as an
/// RCU reader in the kernel can. Allocation-free after construction.
/// </summary>
sealed class HashChains
{
    public const int Unlinked = int.MinValue;

    public HashChains(int buckets, int nodes)
    {
        Heads = new int[buckets];
        Next = new int[nodes];
        Prev = new int[nodes];
        Array.Fill(Heads, -1);
        Array.Fill(Prev, Unlinked);
    }

    /// <summary>Bucket to first node, -1 when empty.</summary>
    public int[] Heads { get; }

    /// <summary>Node to next node, -1 at the end.</summary>
    public int[] Next { get; }

    public int[] Prev { get; }

    public void LinkHead(int node, int bucket)
    {
        int first = Heads[bucket];
        Next[node] = first;
        Prev[node] = -(bucket + 1);
        if (first >= 0) Prev[first] = node;
        Heads[bucket] = node;
    }

    public void Unlink(int node)
    {
        int p = Prev[node];
        if (p == Unlinked) return;
        int n = Next[node];
        if (p >= 0) Next[p] = n;
        else Heads[-p - 1] = n;
        if (n >= 0) Prev[n] = p;
        Prev[node] = Unlinked;
    }
}
