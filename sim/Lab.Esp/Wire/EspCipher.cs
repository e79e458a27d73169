namespace Lab.Esp.Wire;

/// <summary>The transforms the wire-size model knows, by their <c>--cipher</c> names.</summary>
public enum EspCipher : byte
{
    /// <summary>rfc4106(gcm(aes)) with a 128-bit ICV (RFC 4106): IV 8, block 1 (padded to 4), ICV 16.</summary>
    Gcm16,

    /// <summary>authenc(hmac(sha256),cbc(aes)), HMAC-SHA-256-128 (RFC 4868): IV 16, block 16, ICV 16.</summary>
    CbcSha256,

    /// <summary>
    /// authenc(hmac(sha256),ecb(cipher_null)): integrity-only ESP (RFC 2410 NULL encryption with
    /// HMAC-SHA-256-128): IV 0, block 1 (padded to 4), ICV 16.
    /// </summary>
    Null,

    /// <summary>
    /// authenc(digest_null,ecb(cipher_null)): neither confidentiality nor integrity. RFC 4303
    /// section 3.2 forbids it, but Linux accepts it: xfrm_user only requires one of
    /// AUTH/CRYPT/AEAD, and esp_init_authenc substitutes digest_null when no auth is given
    /// (esp_init_state only insists on AEAD or CRYPT). ICV 0.
    /// </summary>
    NullNoAuth,
}

/// <summary>
/// The three numbers esp_output needs from the crypto API: crypto_aead_ivsize,
/// crypto_aead_blocksize and crypto_aead_authsize.
/// </summary>
public readonly record struct EspCipherParams(int IvSize, int BlockSize, int IcvSize, string KernelName)
{
    /// <summary>ALIGN(crypto_aead_blocksize(aead), 4): the padding boundary of esp_output.</summary>
    public int Align => (BlockSize + 3) & ~3;

    public static EspCipherParams For(EspCipher cipher) => cipher switch
    {
        EspCipher.Gcm16 => new(8, 1, 16, "rfc4106(gcm(aes)) icv 128"),
        EspCipher.CbcSha256 => new(16, 16, 16, "authenc(hmac(sha256),cbc(aes)) trunc 128"),
        EspCipher.Null => new(0, 1, 16, "authenc(hmac(sha256),ecb(cipher_null)) trunc 128"),
        EspCipher.NullNoAuth => new(0, 1, 0, "authenc(digest_null,ecb(cipher_null))"),
        _ => throw new ArgumentOutOfRangeException(nameof(cipher)),
    };

    public static bool TryParse(string text, out EspCipher cipher)
    {
        switch (text)
        {
            case "gcm16": cipher = EspCipher.Gcm16; return true;
            case "cbc-sha256": cipher = EspCipher.CbcSha256; return true;
            case "null": cipher = EspCipher.Null; return true;
            case "null-noauth": cipher = EspCipher.NullNoAuth; return true;
            default: cipher = default; return false;
        }
    }

    public static string Name(EspCipher cipher) => cipher switch
    {
        EspCipher.Gcm16 => "gcm16",
        EspCipher.CbcSha256 => "cbc-sha256",
        EspCipher.Null => "null",
        EspCipher.NullNoAuth => "null-noauth",
        _ => throw new ArgumentOutOfRangeException(nameof(cipher)),
    };
}
