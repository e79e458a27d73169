using System.Globalization;
using Lab.Captures.Pcap;
using Lab.Captures.Tests.Support;
using Lab.KernelLab.Netns;
using SharpPcap.LibPcap;
using SharpPcap;

namespace Lab.Captures.Tests;

/// <summary>
/// pcapng files written by Wireshark's tools (editcap, tshark, mergecap) from a capture of
/// ours, read here and compared record for record with what libpcap (through SharpPcap) and
/// tshark read from the same file: two readers that are not ours.
/// </summary>
public sealed class PcapNgInteropTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    const long Start = 1_700_000_000_000_000_000;

    /// <summary>What a reader saw of one record.</summary>
    internal readonly record struct Seen(long Nanoseconds, int Interface, PcapLinkType LinkType, string Bytes);

    internal static List<Seen> OursOf(string path)
    {
        using var r = PcapReader.Open(path);
        var list = new List<Seen>();
        while (r.TryReadNext(out var rec)) list.Add(new Seen(rec.TimestampNanoseconds, rec.InterfaceId, rec.LinkType, Convert.ToHexStringLower(r.Data)));
        return list;
    }

    /// <summary>libpcap's view (pcap_open_offline_with_tstamp_precision, nanoseconds): it has no interface numbers.</summary>
    internal static List<Seen> LibpcapOf(string path)
    {
        using var dev = new CaptureFileReaderDevice(path);
        dev.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
        var list = new List<Seen>();
        while (dev.GetNextPacket(out PacketCapture p) == GetPacketStatus.PacketRead)
        {
            var raw = p.GetPacket();
            long ns = (long)(raw.Timeval.Value * 1_000_000_000m);
            list.Add(new Seen(ns, 0, (PcapLinkType)(uint)raw.LinkLayerType, Convert.ToHexStringLower(raw.Data)));
        }
        return list;
    }

    /// <summary>tshark's view: epoch time to the nanosecond, interface number and length (in <see cref="Seen.Bytes"/>).</summary>
    internal static List<Seen> TsharkOf(string path)
    {
        var r = CommandRunner.Run("tshark", ["-n", "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.interface_id", "-e", "frame.len"]);
        Assert.True(r.Succeeded, r.StandardError);
        var list = new List<Seen>();
        foreach (string line in r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split('\t');
            decimal t = decimal.Parse(f[0], CultureInfo.InvariantCulture);
            list.Add(new Seen((long)(t * 1_000_000_000m), f[1].Length == 0 ? 0 : int.Parse(f[1], CultureInfo.InvariantCulture), 0, f[2]));
        }
        return list;
    }

    static void AssertSameAsTshark(List<Seen> ours, List<Seen> tshark)
    {
        Assert.Equal(tshark.Count, ours.Count);
        for (int i = 0; i < ours.Count; i++)
        {
            Assert.Equal(tshark[i].Nanoseconds, ours[i].Nanoseconds);
            Assert.Equal(tshark[i].Interface, ours[i].Interface);
            Assert.Equal(tshark[i].Bytes, (ours[i].Bytes.Length / 2).ToString(CultureInfo.InvariantCulture));
        }
    }

    static void Run(string program, params string[] args)
    {
        var r = CommandRunner.Run(program, args);
        Assert.True(r.Succeeded, $"{program} {string.Join(' ', args)}: {r.StandardError}");
    }

    /// <summary>50 Ethernet frames 1.234567 ms apart at nanosecond resolution.</summary>
    string EthernetNs()
    {
        string path = _dir.File("eth-ns.pcap");
        TestFrames.WritePcap(path, 50, 1_234_567);
        return path;
    }

    /// <summary>30 raw IPv4 packets 2.5 ms apart, starting 0.3 ms after the Ethernet ones, at microsecond resolution.</summary>
    string RawIpUs()
    {
        string path = _dir.File("raw-us.pcap");
        using var w = PcapWriter.Create(path, PcapLinkType.RawIp, nanosecondResolution: false);
        for (int i = 0; i < 30; i++) w.Write(Start + 300_000 + i * 2_500_000L, TestFrames.Indexed((ulong)(1000 + i))[14..]);
        w.Commit();
        return path;
    }

    [ToolFact("editcap", "wireshark-common")]
    public void Editcap_and_tshark_pcapng_are_read_as_libpcap_reads_them()
    {
        string source = EthernetNs();
        string byEditcap = _dir.File("editcap.pcapng");
        Run("editcap", "-F", "pcapng", source, byEditcap);
        string byTshark = _dir.File("tshark.pcapng");
        // -W n: tshark adds a Name Resolution Block, which the reader skips.
        Run("tshark", "-n", "-r", source, "-F", "pcapng", "-W", "n", "-w", byTshark);
        var expected = OursOf(source);
        Assert.Equal(50, expected.Count);
        foreach (string file in new[] { byEditcap, byTshark })
        {
            using (var r = PcapReader.Open(file)) Assert.Equal((CaptureFileFormat.PcapNg, true), (r.Format, r.NanosecondResolution));
            var ours = OursOf(file);
            Assert.Equal(expected, ours);
            Assert.Equal(LibpcapOf(file), ours);
            for (int i = 0; i < ours.Count; i++) Assert.Equal(Start + i * 1_234_567L, ours[i].Nanoseconds);
        }
    }

    [ToolFact("mergecap", "wireshark-common")]
    public void Mergecap_gives_interfaces_with_their_own_link_type_and_resolution()
    {
        string merged = _dir.File("merged.pcapng");
        Run("mergecap", "-F", "pcapng", "-w", merged, EthernetNs(), RawIpUs());
        var ours = OursOf(merged);
        Assert.Equal(80, ours.Count);
        AssertSameAsTshark(ours, TsharkOf(merged));
        // Interface 0 carries the Ethernet frames at nanoseconds, interface 1 the raw IP packets at microseconds.
        var eth = ours.Where(s => s.LinkType == PcapLinkType.Ethernet).ToList();
        var raw = ours.Where(s => s.LinkType == PcapLinkType.RawIp).ToList();
        Assert.Equal(50, eth.Count);
        Assert.Equal(30, raw.Count);
        Assert.All(eth, s => Assert.Equal(0, s.Interface));
        Assert.All(raw, s => Assert.Equal(1, s.Interface));
        for (int i = 0; i < 30; i++)
        {
            Assert.Equal(Start + 300_000 + i * 2_500_000L, raw[i].Nanoseconds);
            Assert.Equal(Convert.ToHexStringLower(TestFrames.Indexed((ulong)(1000 + i))[14..]), raw[i].Bytes);
        }
        // Merged in time order, as mergecap does.
        for (int i = 1; i < ours.Count; i++) Assert.True(ours[i].Nanoseconds >= ours[i - 1].Nanoseconds);
    }

    [ToolFact("mergecap", "wireshark-common")]
    public void Big_endian_section_followed_by_a_tool_written_section_reads_as_tshark_reads_it()
    {
        // No tool here writes big-endian pcapng: lay the merged file's records out big-endian
        // (two interfaces: Ethernet at 10^-9 s, raw IP at 10^-6 s) and let tshark judge it.
        string merged = _dir.File("merged.pcapng");
        Run("mergecap", "-F", "pcapng", "-w", merged, EthernetNs(), RawIpUs());
        var records = OursOf(merged);
        var be = new PcapNgBuilder(bigEndian: true).Section().Interface(1, tsresol: 9).Interface(101, tsresol: 6);
        foreach (var s in records)
            be.Enhanced((uint)s.Interface, s.Interface == 0 ? (ulong)s.Nanoseconds : (ulong)(s.Nanoseconds / 1000), Convert.FromHexString(s.Bytes));
        string beFile = _dir.File("be.pcapng");
        File.WriteAllBytes(beFile, be.ToArray());
        Assert.Equal(records, OursOf(beFile));
        AssertSameAsTshark(OursOf(beFile), TsharkOf(beFile));
        // Two sections: the big-endian one, then editcap's little-endian one.
        string le = _dir.File("le.pcapng");
        Run("editcap", "-F", "pcapng", EthernetNs(), le);
        string both = _dir.File("both.pcapng");
        File.WriteAllBytes(both, [.. File.ReadAllBytes(beFile), .. File.ReadAllBytes(le)]);
        var ours = OursOf(both);
        Assert.Equal(130, ours.Count);
        AssertSameAsTshark(ours, TsharkOf(both));
        using var r = PcapReader.Open(both);
        while (r.TryReadNext(out _)) { }
        Assert.Equal(2, r.SectionCount);
        Assert.False(r.BigEndian);
    }
}
