using System.Buffers.Binary;
using System.Security.Cryptography;
using Lab.Captures.EspFrames;

namespace Lab.Captures.Tests;

/// <summary>
/// Known answers from outside this code: the ESP test cases of draft-mcgrew-gcm-test-01
/// section 4 (AES-GCM ESP packets with SPI/sequence AAD, 32-bit and extended sequence numbers,
/// 128/192/256-bit keys), and the GCM specification's test cases (McGrew and Viega, "The
/// Galois/Counter Mode of Operation", appendix B).
/// </summary>
public sealed class EspVectorTests
{
    // key, nonce (salt || IV), aad (SPI || seq, or SPI || seq_hi || seq_lo), plaintext (ESP payload and trailer), ciphertext, tag
    public static TheoryData<string, string, string, string, string, string> DraftVectors => new()
    {
        {
            "4c80cdefbb5d10da906ac73c3613a634", "2e443b684956ed7e3b244cfe", "000043218765432100000000",
            "45000048699a000080114db7c0a80102c0a801010a9bf15638d301000001000000000000045f736970045f756470037369700963796265726369747902646b000021000101020201",
            "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732",
            "459018148f6cbe722fd04796562dfdb4"
        },
        {
            "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "0000a5f80000000a",
            "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d001000001000000000000037369700963796265726369747902646b00000100010001",
            "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1",
            "83b70d3aa8bc6ee4c309e9d85a41ad4a"
        },
        {
            "abbccddef00112233445566778899aababbccddef00112233445566778899aab", "112233440102030405060708", "4a2cbfe300000002",
            "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b40101040201020201",
            "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99def842d8e",
            "b335f4eecfdbf831824b4c4915956c96"
        },
        {
            "feffe9928665731c6d6a8f9467308308feffe9928665731c", "cafebabefacedbaddecaf888", "0000a5f80000000a",
            "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d075680001",
            "a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0315b27452144cc77",
            "95457b9652037f5318027b5b4cd7a636"
        },
        {
            "abbccddef00112233445566778899aab", "decaf888cafedebaceface74", "000001000000000000000001",
            "4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d500004e20001e8c18d75b81dc91baa0476b91b924b280389d92c963bac046ec959b6266c04722b14923010101",
            "18a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f9190feebaf2cb01984e65863965d7472b79da345e0e780191f0d2f0e0f496c226f2127b27db35724e7845d68",
            "651f57e65f354f75ff17015769623436"
        },
        {
            "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961", "7475726e333021696765746d", "796b6963ffffffffffffffff",
            "45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f707172737401020201",
            "f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a864cd3d78ca4ae68a32b42458fb57dbe821dcc63b9",
            "d0937ba2945f669368661a329fb4c053"
        },
        {
            "7d773d00c144c525ac619d18c84a3f47", "d966426743457e9182443bc6", "335467aeffffffff",
            "01020201", "437f866b", "cb3f699fe9b0822bac961c4504bef270"
        },
    };

    [Theory]
    [MemberData(nameof(DraftVectors))]
    public void Seals_the_draft_mcgrew_esp_packets_exactly(string key, string nonce, string aad, string plaintext, string ciphertext, string tag)
    {
        byte[] n = Convert.FromHexString(nonce);
        byte[] a = Convert.FromHexString(aad);
        byte[] pt = Convert.FromHexString(plaintext);
        byte[] keyMaterial = [.. Convert.FromHexString(key), .. n[..4]];
        uint spi = BinaryPrimitives.ReadUInt32BigEndian(a);
        bool esn = a.Length == 12;
        ulong seq = esn ? BinaryPrimitives.ReadUInt64BigEndian(a.AsSpan(4)) : BinaryPrimitives.ReadUInt32BigEndian(a.AsSpan(4));
        ulong iv = BinaryPrimitives.ReadUInt64BigEndian(n.AsSpan(4));

        using var cipher = new EspCipher(keyMaterial);
        var esp = new byte[16 + pt.Length + 16];
        pt.CopyTo(esp, 16);
        int len = cipher.Seal(esp, pt.Length, spi, seq, esn, iv);

        // The ESP packet on the wire: SPI, low 32 bits of the sequence number, IV, ciphertext, ICV.
        byte[] expected = [.. a[..4], .. a[^4..], .. n[4..], .. Convert.FromHexString(ciphertext), .. Convert.FromHexString(tag)];
        Assert.Equal(expected, esp[..len]);

        Assert.True(cipher.TryOpen(esp, esn, (uint)(seq >> 32), out int plainLength));
        Assert.Equal(pt, esp.AsSpan(16, plainLength).ToArray());
    }

    [Fact]
    public void Esn_packet_with_the_wrong_inferred_high_half_fails_the_icv()
    {
        // RFC 4303 appendix A: the high half is authenticated but not sent; a wrong guess fails integrity.
        byte[] keyMaterial = [.. Convert.FromHexString("4c80cdefbb5d10da906ac73c3613a634"), .. Convert.FromHexString("2e443b68")];
        using var cipher = new EspCipher(keyMaterial);
        var esp = new byte[16 + 4 + 16];
        int len = cipher.Seal(esp, 4, 0x4321, 0x8765432100000000UL, esn: true, iv: 1);
        byte[] copy = esp[..len];
        Assert.False(cipher.TryOpen(copy, esn: true, 0x87654320, out _));
        copy = esp[..len];
        Assert.True(cipher.TryOpen(copy, esn: true, 0x87654321, out _));
    }

    [Fact]
    public void Aad_layout_follows_rfc_4106_section_5()
    {
        Span<byte> aad = stackalloc byte[12];
        Assert.Equal(8, EspCipher.BuildAad(aad, 0x01020304, 0xAABBCCDD_11223344UL, esn: false));
        Assert.Equal(Convert.FromHexString("0102030411223344"), aad[..8].ToArray());
        Assert.Equal(12, EspCipher.BuildAad(aad, 0x01020304, 0xAABBCCDD_11223344UL, esn: true));
        Assert.Equal(Convert.FromHexString("01020304aabbccdd11223344"), aad.ToArray());
    }

    // GCM spec appendix B: test cases 2, 4, 14 and 16 (the 12-byte IV ones that AesGcm accepts).
    [Theory]
    [InlineData("00000000000000000000000000000000", "000000000000000000000000", "", "00000000000000000000000000000000",
        "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf")]
    [InlineData("feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        "5bc94fbc3221a5db94fae95ae7121a47")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "",
        "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919")]
    [InlineData("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b")]
    public void Aes_gcm_matches_the_gcm_specification(string key, string iv, string aad, string plaintext, string ciphertext, string tag)
    {
        using var gcm = new AesGcm(Convert.FromHexString(key), 16);
        byte[] pt = Convert.FromHexString(plaintext);
        var ct = new byte[pt.Length];
        var t = new byte[16];
        gcm.Encrypt(Convert.FromHexString(iv), pt, ct, t, Convert.FromHexString(aad));
        Assert.Equal(ciphertext, Convert.ToHexStringLower(ct));
        Assert.Equal(tag, Convert.ToHexStringLower(t));
    }
}
