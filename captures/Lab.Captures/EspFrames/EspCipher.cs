using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Lab.Captures.EspFrames;

/// <summary>
/// AES-GCM with a 16-byte ICV as ESP uses it (RFC 4106): the key material is the AES key
/// followed by a 4-byte salt (20, 28 or 36 bytes; Linux's <c>rfc4106(gcm(aes))</c> takes the
/// same blob), the 12-byte nonce is salt || the packet's 8-byte IV, and the additional
/// authenticated data is SPI || sequence number (32 bits), or with extended sequence numbers
/// SPI || seq_hi || seq_lo (RFC 4106 section 5; RFC 4303 section 2.2.1 and appendix A: the high
/// half never travels but is authenticated). Works in place on an ESP packet laid out as
/// [SPI 4][seq 4][IV 8][payload + trailer][ICV 16]. Not thread-safe (one AesGcm instance).
/// </summary>
public sealed class EspCipher : IDisposable
{
    public const int HeaderLength = 8;
    public const int IvLength = 8;
    public const int IcvLength = 16;
    public const int SaltLength = 4;

    /// <summary>Bytes before the encrypted payload: ESP header and IV.</summary>
    public const int PayloadOffset = HeaderLength + IvLength;

    readonly AesGcm _gcm;
    readonly uint _salt;

    public EspCipher(ReadOnlySpan<byte> keyMaterial)
    {
        if (keyMaterial.Length is not (16 + SaltLength or 24 + SaltLength or 32 + SaltLength))
            throw new ArgumentException($"expected 20, 28 or 36 bytes of key material (AES key + 4-byte salt), found {keyMaterial.Length}", nameof(keyMaterial));
        int keyLength = keyMaterial.Length - SaltLength;
        _gcm = new AesGcm(keyMaterial[..keyLength], IcvLength);
        _salt = BinaryPrimitives.ReadUInt32BigEndian(keyMaterial[keyLength..]);
    }

    /// <summary>
    /// Writes the ESP header and IV, encrypts <paramref name="plaintextLength"/> bytes at
    /// <see cref="PayloadOffset"/> in place and appends the ICV. Returns the ESP packet length.
    /// </summary>
    /// <param name="esp">The ESP packet buffer; the plaintext (payload and trailer) is already at offset 16.</param>
    /// <param name="sequence">The full sequence number; only the low 32 bits go on the wire.</param>
    /// <param name="esn">Extended sequence numbers: the high 32 bits enter the AAD.</param>
    /// <param name="iv">The 8-byte explicit IV (unique per key; a counter is fine, RFC 4106 section 3.1).</param>
    public int Seal(Span<byte> esp, int plaintextLength, uint spi, ulong sequence, bool esn, ulong iv)
    {
        BinaryPrimitives.WriteUInt32BigEndian(esp, spi);
        BinaryPrimitives.WriteUInt32BigEndian(esp[4..], (uint)sequence);
        BinaryPrimitives.WriteUInt64BigEndian(esp[HeaderLength..], iv);
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[12];
        BuildNonce(nonce, iv);
        int aadLength = BuildAad(aad, spi, sequence, esn);
        var text = esp.Slice(PayloadOffset, plaintextLength);
        _gcm.Encrypt(nonce, text, text, esp.Slice(PayloadOffset + plaintextLength, IcvLength), aad[..aadLength]);
        return PayloadOffset + plaintextLength + IcvLength;
    }

    /// <summary>
    /// Verifies and decrypts an ESP packet in place. On success the plaintext (payload and
    /// trailer) is at <see cref="PayloadOffset"/> with <paramref name="plaintextLength"/> bytes.
    /// </summary>
    /// <param name="sequenceHigh">With ESN, the high half the receiver inferred (it is not on the wire).</param>
    /// <returns>False when the ICV does not verify (the kernel's integrity failure).</returns>
    public bool TryOpen(Span<byte> esp, bool esn, uint sequenceHigh, out int plaintextLength)
    {
        plaintextLength = esp.Length - PayloadOffset - IcvLength;
        if (plaintextLength < 2) return false;
        uint spi = BinaryPrimitives.ReadUInt32BigEndian(esp);
        uint seqLow = BinaryPrimitives.ReadUInt32BigEndian(esp[4..]);
        ulong iv = BinaryPrimitives.ReadUInt64BigEndian(esp[HeaderLength..]);
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[12];
        BuildNonce(nonce, iv);
        int aadLength = BuildAad(aad, spi, ((ulong)sequenceHigh << 32) | seqLow, esn);
        var text = esp.Slice(PayloadOffset, plaintextLength);
        try
        {
            _gcm.Decrypt(nonce, text, esp.Slice(PayloadOffset + plaintextLength, IcvLength), text, aad[..aadLength]);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    void BuildNonce(Span<byte> nonce, ulong iv)
    {
        BinaryPrimitives.WriteUInt32BigEndian(nonce, _salt);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], iv);
    }

    /// <summary>RFC 4106 section 5: SPI || seq (8 bytes), or SPI || seq_hi || seq_lo (12 bytes) with ESN.</summary>
    public static int BuildAad(Span<byte> aad, uint spi, ulong sequence, bool esn)
    {
        BinaryPrimitives.WriteUInt32BigEndian(aad, spi);
        if (esn)
        {
            BinaryPrimitives.WriteUInt64BigEndian(aad[4..], sequence);
            return 12;
        }
        BinaryPrimitives.WriteUInt32BigEndian(aad[4..], (uint)sequence);
        return 8;
    }

    public void Dispose() => _gcm.Dispose();
}
