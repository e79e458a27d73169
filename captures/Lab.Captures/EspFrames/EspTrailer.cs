namespace Lab.Captures.EspFrames;

/// <summary>
/// The ESP trailer as Linux writes it (net/ipv4/esp4.c, esp_output and
/// esp_output_fill_trailer; esp6.c alike): the encrypted part, payload + pad length + next
/// header, is padded up to a multiple of ALIGN(cipher block size, 4), which is 4 for
/// rfc4106(gcm(aes)) (block size 1); the padding bytes are 1, 2, 3, ... (RFC 4303 section
/// 2.4), then the pad length, then the next header.
/// </summary>
public static class EspTrailer
{
    public const int Alignment = 4;

    /// <summary>Trailer length (padding + 2) for a payload: 2 to 5 bytes.</summary>
    public static int Length(int payloadLength)
    {
        int encrypted = (payloadLength + 2 + Alignment - 1) & ~(Alignment - 1);
        return encrypted - payloadLength;
    }

    /// <summary>Writes the trailer into <paramref name="tail"/> (exactly <see cref="Length"/> bytes).</summary>
    public static int Write(Span<byte> tail, int payloadLength, byte nextHeader)
    {
        int plen = Length(payloadLength);
        for (int i = 0; i < plen - 2; i++) tail[i] = (byte)(i + 1);
        tail[plen - 2] = (byte)(plen - 2);
        tail[plen - 1] = nextHeader;
        return plen;
    }

    /// <summary>
    /// Reads the trailer at the end of a decrypted plaintext: the payload length, the next
    /// header, and whether the padding bytes are the monotonic 1, 2, 3, ... that RFC 4303
    /// section 2.4 specifies (a receiver may check; Linux esp_remove_trailer does not).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> plaintext, out int payloadLength, out byte nextHeader, out bool paddingMonotonic)
    {
        payloadLength = 0;
        nextHeader = 0;
        paddingMonotonic = false;
        if (plaintext.Length < 2) return false;
        int padLength = plaintext[^2];
        nextHeader = plaintext[^1];
        // Linux esp_remove_trailer: "padlen + 2 + alen >= elen" is an error.
        if (padLength + 2 > plaintext.Length) return false;
        payloadLength = plaintext.Length - 2 - padLength;
        paddingMonotonic = true;
        for (int i = 0; i < padLength; i++)
            if (plaintext[payloadLength + i] != i + 1) paddingMonotonic = false;
        return true;
    }
}
