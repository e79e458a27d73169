using System.Buffers.Binary;
using System.Globalization;

namespace Lab.Captures.Frames;

/// <summary>A 48-bit Ethernet address held in a value (no array per frame).</summary>
public readonly record struct MacAddress(ulong Value)
{
    public static readonly MacAddress Broadcast = new(0xFFFF_FFFF_FFFFUL);

    public static MacAddress Parse(string text)
    {
        if (!TryParse(text, out var mac)) throw new FormatException($"expected a MAC address such as 02:00:00:00:00:01, found '{text}'");
        return mac;
    }

    public static bool TryParse(string text, out MacAddress mac)
    {
        mac = default;
        string[] parts = text.Split(':', '-');
        if (parts.Length != 6) return false;
        ulong v = 0;
        foreach (string p in parts)
        {
            if (p.Length is < 1 or > 2 || !byte.TryParse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b)) return false;
            v = (v << 8) | b;
        }
        mac = new MacAddress(v);
        return true;
    }

    public static MacAddress Read(ReadOnlySpan<byte> source) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(source) << 32) | BinaryPrimitives.ReadUInt32BigEndian(source[2..]));

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)Value);
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[6];
        WriteTo(b);
        return string.Create(CultureInfo.InvariantCulture, $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}");
    }
}
