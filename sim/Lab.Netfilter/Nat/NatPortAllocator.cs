using Lab.Engine;
using Lab.Netfilter.Conntrack;

namespace Lab.Netfilter.Nat;

/// <summary>
/// Per-allocator NAT counters. The kernel keeps none for NAT setup (the outcome shows in conntrack's
/// insert_failed and drop), so every one is lab-only and prefixed so; each says which nf_nat_core.c
/// function's outcome it counts.
/// </summary>
public sealed class NatStats
{
    /// <summary>Lab-only: source mappings set up (nf_nat_setup_info → get_unique_tuple calls).</summary>
    public long LabSetups;

    /// <summary>Lab-only: tuple-uniqueness checks (nf_nat_used_tuple calls) over all setups.</summary>
    public long LabAttempts;

    /// <summary>Lab-only: setups where get_unique_tuple kept the original source port.</summary>
    public long LabKeptPort;

    /// <summary>Lab-only: setups where nf_nat_l4proto_unique_tuple found every tried tuple taken: the packet will be dropped at confirm (insert_failed).</summary>
    public long LabExhausted;

    /// <summary>Lab-only, 6.5+: TIME_WAIT/CLOSE entries evicted by nf_nat_used_tuple_harder.</summary>
    public long LabEvictedClosing;

    /// <summary>Lab-only: most nf_nat_used_tuple checks one setup needed.</summary>
    public int LabMaxAttempts;

    /// <summary>Warm-up ends: every counter restarts.</summary>
    public void Reset()
    {
        LabSetups = LabAttempts = LabKeptPort = LabExhausted = LabEvictedClosing = 0;
        LabMaxAttempts = 0;
    }
}

/// <summary>
/// Source NAT tuple selection of net/netfilter/nf_nat_core.c (kernel 6.12): get_unique_tuple
/// (keep the original tuple if it is unique; reuse an existing mapping of the same source via
/// find_appropriate_src; pick the address with find_best_ips_proto) and nf_nat_l4proto_unique_tuple
/// (search the port range from a random offset: 128 tries, then halving with a new random offset,
/// giving up after the round of 8, i.e. at most 128 + 64 + 32 + 16 + 8 = 248 checks). Uniqueness is
/// of the full reply tuple (nf_nat_used_tuple -> nf_conntrack_tuple_taken), so ports run out per
/// destination address and port. Version parameters: before 5.0 the search was a full linear walk
/// of the range from a per-protocol rover (PROTO_RANDOM: a keyed hash of the addresses and
/// destination port; PROTO_RANDOM_FULLY: random); from 6.5 the last 32 checks of a TCP SYN may
/// evict a colliding TIME_WAIT/CLOSE entry (nf_nat_used_tuple_harder).
/// </summary>
public sealed class NatPortAllocator
{
    /// <summary>NF_NAT_MAX_ATTEMPTS: checks in the first round of the port search.</summary>
    public const int MaxAttemptsPerRound = 128;

    /// <summary>NF_NAT_HARDER_THRESH: the last checks of a TCP SYN that may evict a closing entry (6.5+).</summary>
    public const int HarderThreshold = MaxAttemptsPerRound / 4;

    /// <summary>nf_nat_l4proto_unique_tuple: "if (attempts >= range_size || attempts &lt; 16) return": no round after one smaller than this.</summary>
    public const int NoRoundAfterBelow = 16;

    readonly ConntrackTable _ct;
    readonly RandomStream _random;
    readonly ulong _secureKey;
    readonly bool _bounded;
    readonly bool _harder;
    ushort _udpRover, _tcpRover;
    int _attempts;

    public NatStats Stats { get; } = new();

    /// <summary>Checks the last setup needed (the "allocation attempts per new flow" metric).</summary>
    public int LastAttempts => _attempts;

    /// <summary>Whether the last setup ended on a taken tuple (its packet will fail to confirm).</summary>
    public bool LastExhausted { get; private set; }

    /// <summary>
    /// Probability that a new TCP connection's initial sequence number is past the TIME_WAIT entry's
    /// (nf_seq_has_advanced), needed for the 6.5+ eviction. 0.5 is an assumption: unrelated clients'
    /// ISNs are independent.
    /// </summary>
    public double SeqAdvancedProbability { get; init; } = DefaultSeqAdvancedProbability;

    public const double DefaultSeqAdvancedProbability = 0.5;

    public NatPortAllocator(ConntrackTable conntrack, long seed = 1, int replication = 0)
    {
        _ct = conntrack;
        _random = RandomStream.For(seed, replication, "netfilter.nat");
        _secureKey = _random.NextUInt64();
        _bounded = conntrack.Config.Version.AtLeast(5, 0);
        _harder = conntrack.Config.Version.AtLeast(6, 5);
    }

    /// <summary>
    /// nf_nat_setup_info(SRC) on an unconfirmed entry: choose the translated source and rewrite the
    /// reply tuple. Returns false when every tried tuple was taken (the entry keeps the last tried
    /// tuple, as the kernel does, and <see cref="ConntrackTable.Confirm"/> will then drop it).
    /// </summary>
    public bool SetupSnat(int ct, NatRange range, long now)
    {
        _attempts = 0;
        var curr = _ct.Entry(ct).Reply.Invert();
        bool free = GetUniqueTuple(curr, range, ct, now, out var chosen);
        _ct.AlterReplyForSnat(ct, chosen.Invert());
        _ct.BySrcInsert(ct);
        Stats.LabSetups++;
        Stats.LabAttempts += _attempts;
        if (_attempts > Stats.LabMaxAttempts) Stats.LabMaxAttempts = _attempts;
        if (free && chosen.SrcPort == curr.SrcPort) Stats.LabKeptPort++;
        if (!free) Stats.LabExhausted++;
        LastExhausted = !free;
        return free;
    }

    bool Used(in FlowTuple tuple, int ct, long now)
    {
        _attempts++;
        return _ct.TupleTaken(tuple.Invert(), ct, now);
    }

    static bool InRange(in FlowTuple t, NatRange r) =>
        (!r.Has(NatRangeFlags.MapIps) || r.ContainsAddress(t.SrcIp))
        && (!r.Has(NatRangeFlags.ProtoSpecified) || (t.SrcPort >= r.MinPort && t.SrcPort <= r.MaxPort));

    bool GetUniqueTuple(in FlowTuple orig, NatRange range, int ct, long now, out FlowTuple tuple)
    {
        bool randomAll = range.Has(NatRangeFlags.ProtoRandomAll);
        if (!randomAll)
        {
            // 1) the original tuple, or the mapping this source already has
            if (InRange(orig, range))
            {
                if (!Used(orig, ct, now))
                {
                    tuple = orig;
                    return true;
                }
            }
            else
            {
                int minPort = range.Has(NatRangeFlags.ProtoSpecified) ? range.MinPort : 0;
                int maxPort = range.Has(NatRangeFlags.ProtoSpecified) ? range.MaxPort : 65535;
                InetAddr minIp = range.Has(NatRangeFlags.MapIps) ? range.MinIp : default;
                InetAddr maxIp = range.Has(NatRangeFlags.MapIps) ? range.MaxIp : new InetAddr(ulong.MaxValue, ulong.MaxValue);
                if (_ct.FindAppropriateSrc(orig, minIp, maxIp, minPort, maxPort, out var found) && !Used(found, ct, now))
                {
                    tuple = found;
                    return true;
                }
            }
        }

        // 2) the address: find_best_ips_proto
        tuple = orig;
        if (range.Has(NatRangeFlags.MapIps)) tuple = tuple with { SrcIp = BestIp(orig, range) };

        // 3) keep the port if that is already unique
        if (!randomAll)
        {
            if (range.Has(NatRangeFlags.ProtoSpecified))
            {
                if (!range.Has(NatRangeFlags.ProtoOffset) && tuple.SrcPort >= range.MinPort && tuple.SrcPort <= range.MaxPort
                    && (range.MinPort == range.MaxPort || !Used(tuple, ct, now)))
                    return true;
            }
            else if (!Used(tuple, ct, now))
            {
                return true;
            }
        }
        return UniqueTuple(ref tuple, range, ct, now);
    }

    /// <summary>
    /// find_best_ips_proto (net/netfilter/nf_nat_core.c, the same in 6.1 and 6.12): one address is taken
    /// as is; otherwise <c>j = jhash2(&amp;tuple->src.u3, 4, PERSISTENT ? 0 : tuple->dst.u3.all[max] ^ zone->id)</c>
    /// over the source address (the 16-byte union nf_inet_addr, an IPv4 address in its first word and
    /// zeros after, as nf_ct_get_tuple leaves them), keyed by the destination address's last word
    /// (<c>all[max]</c>, max 0 for IPv4 and 3 for IPv6) unless PERSISTENT; then word by word
    /// <c>minip + reciprocal_scale(j, maxip - minip + 1)</c>, j xored with the destination's word after
    /// each (unless PERSISTENT), and every word after the first one below the maximum's drawn from the
    /// whole 32 bits (IPv6: the words of a range like 2001:db8::1-2001:db8::ff differ in the last only). The words are the
    /// addresses in network order as x86 loads them. There is no secret in it (the kernel's comment: the
    /// same client keeps the same address "even across reboots"), so the model picks exactly the
    /// kernel's address (zone 0). Not the least used address, whatever the kernel's comment says.
    /// </summary>
    public static InetAddr BestIp(in FlowTuple orig, NatRange range)
    {
        if (range.MinIp == range.MaxIp) return range.MinIp;
        bool v4 = orig.Family == L3Family.Ipv4;
        int max = v4 ? 0 : 3;
        bool persistent = range.Has(NatRangeFlags.Persistent);
        Span<uint> src = [JHash.LoadBe32(orig.SrcIp.Word(0, orig.Family)), JHash.LoadBe32(orig.SrcIp.Word(1, orig.Family)),
            JHash.LoadBe32(orig.SrcIp.Word(2, orig.Family)), JHash.LoadBe32(orig.SrcIp.Word(3, orig.Family))];
        uint j = JHash.Hash2(src, persistent ? 0 : JHash.LoadBe32(orig.DstIp.Word(max, orig.Family)));
        // "for (i = 0; i <= max; i++)": word by word in network order; once a word is below the
        // maximum's, the words after it take any value (minip 0, dist ~0)
        Span<uint> chosen = stackalloc uint[4];
        bool fullRange = false;
        for (int i = 0; i <= max; i++)
        {
            uint minip, dist;
            if (!fullRange)
            {
                minip = range.MinIp.Word(i, range.Family);
                dist = range.MaxIp.Word(i, range.Family) - minip + 1; // u32, as the kernel's: a whole 2^32 range wraps to 0 there too
            }
            else
            {
                minip = 0;
                dist = ~0u;
            }
            chosen[i] = minip + (uint)(((ulong)j * dist) >> 32); // reciprocal_scale
            if (chosen[i] != range.MaxIp.Word(i, range.Family)) fullRange = true;
            if (!persistent) j ^= JHash.LoadBe32(orig.DstIp.Word(i, orig.Family));
        }
        return v4 ? chosen[0] : InetAddr.FromWords(chosen[0], chosen[1], chosen[2], chosen[3]);
    }

    /// <summary>nf_nat_l4proto_unique_tuple for TCP and UDP source ports.</summary>
    bool UniqueTuple(ref FlowTuple tuple, NatRange range, int ct, long now)
    {
        // "default: return;": protocols without ports keep the tuple; a clash fails at confirm.
        if (tuple.Proto is not (IpProto.Tcp or IpProto.Udp)) return true;
        int min, size;
        if (!range.Has(NatRangeFlags.ProtoSpecified))
        {
            // "Loose convention: >> 512 is credential passing"
            if (tuple.SrcPort < 1024)
            {
                if (tuple.SrcPort < 512) { min = 1; size = 511; }
                else { min = 600; size = 1023 - 600 + 1; }
            }
            else { min = 1024; size = 65535 - 1024 + 1; }
        }
        else
        {
            int lo = Math.Min(range.MinPort, range.MaxPort), hi = Math.Max(range.MinPort, range.MaxPort);
            min = lo;
            size = hi - lo + 1;
        }
        return _bounded ? BoundedSearch(ref tuple, range, min, size, ct, now) : LegacySearch(ref tuple, range, min, size, ct, now);
    }

    bool BoundedSearch(ref FlowTuple tuple, NatRange range, int min, int size, int ct, long now)
    {
        // "off = (ntohs(*keyptr) - ntohs(range->base_proto.all))" for a shifted port map, else get_random_u16()
        ushort off = range.Has(NatRangeFlags.ProtoOffset)
            ? (ushort)(tuple.SrcPort - range.BaseProto)
            : (ushort)_random.NextBelow(65536);
        int attempts = Math.Min(size, MaxAttemptsPerRound);
        while (true)
        {
            for (int i = 0; i < attempts; i++, off++)
            {
                tuple = tuple with { SrcPort = (ushort)(min + off % size) };
                if (!UsedHarder(tuple, ct, attempts - i, now)) return true;
            }
            if (attempts >= size || attempts < NoRoundAfterBelow) return false;
            attempts /= 2;
            off = (ushort)_random.NextBelow(65536);
        }
    }

    /// <summary>nf_nat_used_tuple_harder (6.5+): the last 32 checks of a TCP SYN may evict a closing entry.</summary>
    bool UsedHarder(in FlowTuple tuple, int ct, int attemptsLeft, long now)
    {
        if (!_harder || attemptsLeft > HarderThreshold || tuple.Proto != IpProto.Tcp
            || _ct.Entry(ct).TcpState != TcpState.SynSent)
            return Used(tuple, ct, now);
        _attempts++;
        int other = _ct.Find(tuple.Invert(), now, out var dir);
        if (other < 0) return false;
        if (dir == CtDir.Original) return true;
        ref readonly var o = ref _ct.Entry(other);
        bool mayKill = o.TcpState >= TcpState.TimeWait
            && (o.Status & (ConntrackStatus.FixedTimeout | ConntrackStatus.Dying)) == 0
            && o.Is(ConntrackStatus.SrcNat);
        if (!mayKill || !_random.NextBool(SeqAdvancedProbability)) return true;
        bool offloaded = (o.Status & (ConntrackStatus.Offload | ConntrackStatus.HwOffload)) != 0;
        if (_ct.Kill(other))
        {
            Stats.LabEvictedClosing++;
            return offloaded; // even if evicted, do not reuse an offloaded entry's tuple
        }
        return true;
    }

    /// <summary>Before 5.0: walk the whole range from the rover (or the keyed hash, or a random offset).</summary>
    bool LegacySearch(ref FlowTuple tuple, NatRange range, int min, int size, int ct, long now)
    {
        ref ushort rover = ref tuple.Proto == IpProto.Tcp ? ref _tcpRover : ref _udpRover;
        ushort off;
        if (range.Has(NatRangeFlags.ProtoRandom))
            off = (ushort)TupleHash.Mix((tuple.SrcIp.Lo << 32 | tuple.DstIp.Lo) ^ tuple.SrcIp.Hi ^ tuple.DstIp.Hi ^ ((ulong)tuple.DstPort << 48) ^ _secureKey);
        else if (range.Has(NatRangeFlags.ProtoRandomFully))
            off = (ushort)_random.NextBelow(65536);
        else if (range.Has(NatRangeFlags.ProtoOffset))
            off = (ushort)(tuple.SrcPort - range.BaseProto); // 4.17+ (shifted port maps)
        else
            off = rover;
        for (int i = 0; ; off++)
        {
            tuple = tuple with { SrcPort = (ushort)(min + off % size) };
            // "if (++i != range_size && nf_nat_used_tuple(...)) continue;": the last port is taken unchecked.
            bool last = ++i == size;
            bool used = last ? _ct.TupleTaken(tuple.Invert(), ct, now) : Used(tuple, ct, now);
            if (!last && used) continue;
            if (!range.Has(NatRangeFlags.ProtoRandomAll)) rover = off;
            return !used;
        }
    }
}
