using Lab.Captures.Pcap;
using Lab.Core;

namespace Lab.Captures.EspFrames;

/// <summary>
/// The ESP packets of a capture, per SPI in order of arrival: sequence number and capture
/// time. Any format and link type <see cref="PcapReader"/> and <see cref="EspFrameParser"/>
/// read (pcap or pcapng; Ethernet, SLL, SLL2, raw IP; VLAN tags; IPv6 extension headers; ESP
/// or ESP in UDP on the NAT-T port), including packets a snapshot length cut after the ESP
/// header.
/// </summary>
public sealed class EspCaptureArrivals
{
    readonly Dictionary<uint, List<(uint Sequence, long Nanoseconds)>> _bySpi = [];
    readonly List<uint> _order = [];

    public string Path { get; }

    /// <summary>Records in the capture, ESP or not.</summary>
    public long Records { get; private set; }

    /// <summary>SPIs in order of their first packet.</summary>
    public IReadOnlyList<uint> Spis => _order;

    EspCaptureArrivals(string path) => Path = path;

    public static EspCaptureArrivals Read(string path, ushort natTraversalPort = EspSecurityAssociation.NatTraversalPort)
    {
        var a = new EspCaptureArrivals(path);
        using var reader = PcapReader.Open(path);
        while (reader.TryReadNext(out var rec))
        {
            var f = EspFrameParser.Parse(reader.Data, rec.LinkType, natTraversalPort, allowTruncated: true);
            if (f.Kind is not (EspFrameKind.Esp or EspFrameKind.UdpEncapsulatedEsp)) continue;
            if (!a._bySpi.TryGetValue(f.Spi, out var l))
            {
                l = [];
                a._bySpi[f.Spi] = l;
                a._order.Add(f.Spi);
            }
            l.Add((f.SequenceLow, rec.TimestampNanoseconds));
        }
        a.Records = reader.RecordCount;
        return a;
    }

    /// <summary>
    /// One SPI's sequence numbers in arrival order and their times in picoseconds after the
    /// first. With ESN the high half is inferred as the receiver does (xfrm_replay_seqhi in
    /// net/xfrm/xfrm_replay.c): the value nearest the highest seen, within 2^31 of it.
    /// </summary>
    public (long[] Sequences, long[] TimesPicoseconds) Sequence(uint spi, bool esn)
    {
        if (!_bySpi.TryGetValue(spi, out var packets))
            throw new ParameterException("spi", $"0x{spi:x} is not in {Path}; found {string.Join(", ", _order.Select(x => $"0x{x:x}"))}");
        var seqs = new long[packets.Count];
        var times = new long[packets.Count];
        long top = -1;
        long first = packets[0].Nanoseconds;
        for (int i = 0; i < packets.Count; i++)
        {
            uint lo = packets[i].Sequence;
            long full = lo;
            if (esn && top >= 0)
            {
                long hi = top >> 32;
                full = (hi << 32) | lo;
                if (full < top - (1L << 31)) full += 1L << 32;
                else if (full > top + (1L << 31) && hi > 0) full -= 1L << 32;
            }
            top = Math.Max(top, full);
            seqs[i] = full;
            times[i] = (packets[i].Nanoseconds - first) * 1000;
        }
        return (seqs, times);
    }
}
