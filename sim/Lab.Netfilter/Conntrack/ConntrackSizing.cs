namespace Lab.Netfilter.Conntrack;

/// <summary>
/// How nf_conntrack_init_start sizes the table, and what the table costs in kernel memory.
/// </summary>
public static class ConntrackSizing
{
    public const long GiB = 1024L * 1024 * 1024;

    /// <summary>PAGE_SIZE / sizeof(struct hlist_nulls_head): nf_ct_alloc_hashtable rounds the bucket count up to this.</summary>
    public const int BucketRounding = 4096 / 8;

    /// <summary>The nf_conntrack slab object on x86_64 (/proc/slabinfo objsize, the 6.18 kernel of the development machine).</summary>
    public const int ConnObjectBytes = 256;

    /// <summary>ASSUMPTION: the ct->ext area; its size depends on the enabled extensions.</summary>
    public const int ExtensionBytes = 128;

    /// <summary>
    /// Default nf_conntrack_buckets and nf_conntrack_max for a machine with <paramref name="ramBytes"/>
    /// of RAM (64-bit, 4 KiB pages). <paramref name="hashsize"/> is the nf_conntrack.hashsize module
    /// parameter (null when not given).
    /// From 5.15 (commit d532bcd0b269 "conntrack: sanitize table size default settings"):
    /// buckets = RAM / 16384 / 8, 262144 above 4 GiB, 65536 above 1 GiB, at least 1024; max = buckets
    /// (max = 8 x buckets when hashsize is given). Before 5.15: 65536 above 4 GiB, 16384 above 1 GiB,
    /// at least 32, max = 4 x buckets (8 x when hashsize is given).
    /// Both round the bucket count up to a multiple of 512 (nf_ct_alloc_hashtable).
    /// </summary>
    public static (int Buckets, int Max) Defaults(long ramBytes, KernelVersion version, int? hashsize = null)
    {
        bool sanitized = version.AtLeast(5, 15);
        long buckets;
        int factor;
        if (hashsize is int given)
        {
            buckets = given;
            factor = 8;
        }
        else
        {
            buckets = ramBytes / 16384 / 8;
            if (sanitized)
            {
                if (ramBytes > 4 * GiB) buckets = 262144;
                else if (ramBytes > GiB) buckets = 65536;
                if (buckets < 1024) buckets = 1024;
                factor = 1;
            }
            else
            {
                if (ramBytes > 4 * GiB) buckets = 65536;
                else if (ramBytes > GiB) buckets = 16384;
                if (buckets < 32) buckets = 32;
                factor = 4;
            }
        }
        buckets = (buckets + BucketRounding - 1) / BucketRounding * BucketRounding;
        return ((int)buckets, (int)Math.Min(int.MaxValue, buckets * factor));
    }

    /// <summary>
    /// Kernel memory for <paramref name="entries"/> tracked connections: the nf_conntrack slab object
    /// (256 B on x86_64: /proc/slabinfo of the 6.18 kernel of the development machine, 16 objects
    /// per 4 KiB slab), the separately kmalloc'ed extension area (ct->ext: acct, timestamp, ecache,
    /// NAT, labels; its size depends on the enabled extensions, default 128 B is an assumption), and
    /// 8 B per hash bucket. Slab partial-page waste is not counted.
    /// </summary>
    public static long MemoryBytes(long entries, long buckets, int connObjectBytes = ConnObjectBytes, int extensionBytes = ExtensionBytes) =>
        entries * (connObjectBytes + extensionBytes) + buckets * 8;
}
