using System.Buffers.Binary;
using Lab.Captures.Frames;

namespace Lab.Captures.EspFrames;

public enum EspOpenStatus
{
    Ok,
    NotEsp,

    /// <summary>The SPI is not this SA's (the kernel counts XfrmInNoStates).</summary>
    WrongSpi,

    /// <summary>The ICV did not verify (the kernel counts XfrmInStateProtoError and the SA's integrity_failed).</summary>
    IntegrityFailed,

    /// <summary>The pad length points outside the payload (esp_remove_trailer: -EINVAL).</summary>
    BadTrailer,
}

/// <summary>The outcome of <see cref="EspFrameDecryptor.Open"/>.</summary>
/// <param name="Status">Success or why not.</param>
/// <param name="Frame">Where the ESP packet was in the frame.</param>
/// <param name="InnerLength">Bytes written to the caller's inner buffer: the inner IP packet (tunnel) or the rebuilt IP packet (transport).</param>
/// <param name="NextHeader">The trailer's next header.</param>
/// <param name="PadLength">The trailer's pad length.</param>
/// <param name="PaddingMonotonic">Whether the padding was 1, 2, 3, ... as RFC 4303 section 2.4 specifies.</param>
public readonly record struct EspOpenResult(EspOpenStatus Status, EspFrameInfo Frame, int InnerLength, byte NextHeader, int PadLength, bool PaddingMonotonic);

/// <summary>
/// Receives ESP frames for one SA: finds the ESP packet, checks the SPI, verifies and
/// decrypts (AES-GCM, RFC 4106), strips the trailer, and gives back the inner packet (tunnel
/// mode) or the IP packet with its original protocol restored (transport mode), as esp_input
/// and esp_input_done2 (net/ipv4/esp4.c) followed by xfrm4_transport_finish would. No replay
/// check: that is the ESP model's job (Lab.Esp); pass the inferred high sequence half for ESN.
/// </summary>
public sealed class EspFrameDecryptor : IDisposable
{
    readonly EspCipher _cipher;

    public EspSecurityAssociation Sa { get; }

    public EspFrameDecryptor(EspSecurityAssociation sa)
    {
        if (sa.KeyMaterial is null || sa.KeyMaterial.Length is not (20 or 28 or 36))
            throw new ArgumentException("ESP SA key material must be 20, 28 or 36 bytes");
        Sa = sa;
        _cipher = new EspCipher(sa.KeyMaterial);
    }

    /// <param name="frame">An Ethernet frame.</param>
    /// <param name="inner">Work and output buffer: at least the frame's length.</param>
    /// <param name="sequenceHigh">With ESN, the receiver's inferred high half of the sequence number.</param>
    public EspOpenResult Open(ReadOnlySpan<byte> frame, Span<byte> inner, uint sequenceHigh = 0)
    {
        var info = EspFrameParser.Parse(frame, Sa.EncapDestinationPort ?? EspSecurityAssociation.NatTraversalPort);
        if (info.Kind is not (EspFrameKind.Esp or EspFrameKind.UdpEncapsulatedEsp))
            return new EspOpenResult(EspOpenStatus.NotEsp, info, 0, 0, 0, false);
        if (info.Spi != Sa.Spi) return new EspOpenResult(EspOpenStatus.WrongSpi, info, 0, 0, 0, false);
        int hdr = Sa.Mode == EspMode.Transport ? info.IpHeaderLength : 0;
        if (inner.Length < hdr + info.EspLength) throw new ArgumentException("inner buffer shorter than the frame", nameof(inner));
        var work = inner.Slice(hdr, info.EspLength);
        frame.Slice(info.EspOffset, info.EspLength).CopyTo(work);
        if (!_cipher.TryOpen(work, Sa.Esn, sequenceHigh, out int plainLength))
            return new EspOpenResult(EspOpenStatus.IntegrityFailed, info, 0, 0, 0, false);
        var plain = work.Slice(EspCipher.PayloadOffset, plainLength);
        if (!EspTrailer.TryRead(plain, out int payloadLength, out byte nextHeader, out bool monotonic))
            return new EspOpenResult(EspOpenStatus.BadTrailer, info, 0, 0, 0, false);
        int padLength = plainLength - payloadLength - 2;
        plain[..payloadLength].CopyTo(inner[hdr..]);
        if (Sa.Mode == EspMode.Transport)
        {
            var ip = inner[..hdr];
            frame.Slice(info.IpOffset, hdr).CopyTo(ip);
            if (info.OuterIpv6)
            {
                ip[6] = nextHeader;
                BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)payloadLength);
            }
            else
            {
                ip[9] = nextHeader;
                BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(hdr + payloadLength));
                PacketHeaders.FixIpv4Checksum(ip);
            }
        }
        return new EspOpenResult(EspOpenStatus.Ok, info, hdr + payloadLength, nextHeader, padLength, monotonic);
    }

    public void Dispose() => _cipher.Dispose();
}
