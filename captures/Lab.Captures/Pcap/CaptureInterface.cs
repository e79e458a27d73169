using System.Globalization;

namespace Lab.Captures.Pcap;

/// <summary>
/// One interface of a capture: pcapng's Interface Description Block, or the classic pcap file
/// header (one interface). Timestamps count units of 10^-n or 2^-n seconds (if_tsresol) from
/// the Unix epoch plus <see cref="OffsetSeconds"/> (if_tsoffset).
/// </summary>
/// <param name="LinkType">LINKTYPE_ value, low 16 bits.</param>
/// <param name="SnapLength">Snapshot length; 0 means none.</param>
/// <param name="ResolutionExponent">n of the timestamp unit 10^-n or 2^-n seconds.</param>
/// <param name="BinaryResolution">True when the unit is 2^-n seconds.</param>
/// <param name="OffsetSeconds">Seconds added to every timestamp.</param>
public readonly record struct CaptureInterface(PcapLinkType LinkType, int SnapLength, int ResolutionExponent, bool BinaryResolution, long OffsetSeconds)
{
    /// <summary>The pcapng default: microseconds (if_tsresol absent).</summary>
    public const int DefaultResolutionExponent = 6;

    /// <summary>The unit as a person writes it: "10^-9 s", "2^-20 s".</summary>
    public string ResolutionText => string.Create(CultureInfo.InvariantCulture, $"{(BinaryResolution ? 2 : 10)}^-{ResolutionExponent} s");

    /// <summary>
    /// Nanoseconds since the epoch for a timestamp in this interface's units; false when the
    /// result does not fit a signed 64-bit count of nanoseconds (beyond the year 2262).
    /// </summary>
    public bool TryToNanoseconds(ulong units, out long nanoseconds)
    {
        UInt128 ns;
        if (BinaryResolution) ns = ((UInt128)units * 1_000_000_000UL) >> ResolutionExponent;
        else if (ResolutionExponent <= 9) ns = (UInt128)units * Pow10(9 - ResolutionExponent);
        else ns = units / Pow10(ResolutionExponent - 9);
        Int128 total = (Int128)ns + (Int128)OffsetSeconds * 1_000_000_000L;
        if (total > long.MaxValue || total < long.MinValue)
        {
            nanoseconds = 0;
            return false;
        }
        nanoseconds = (long)total;
        return true;
    }

    static ulong Pow10(int n)
    {
        ulong p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }
}
