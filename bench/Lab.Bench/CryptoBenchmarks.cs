using System.Net;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Lab.Captures.EspFrames;
using Lab.Captures.Frames;

namespace Lab.Bench;

/// <summary>
/// AES-GCM with a 128-bit key and 16-byte tag, as rfc4106(gcm(aes)) uses it
/// (System.Security.Cryptography.AesGcm over OpenSSL): seal and open of one packet's payload of
/// <see cref="Size"/> bytes with an 8-byte AAD (SPI and sequence number, RFC 4106 section 5).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Crypto)]
[OperationUnit("packet")]
public class AesGcmBenchmarks : IDisposable
{
    [Params(64, 512, 1500)]
    public int Size { get; set; }

    AesGcm _aes = null!;
    byte[] _plain = null!, _cipher = null!, _sealed = null!, _out = null!;
    readonly byte[] _nonce = new byte[12], _sealedNonce = new byte[12], _tag = new byte[16], _sealedTag = new byte[16], _aad = new byte[8];
    ulong _counter;

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[16];
        for (int i = 0; i < key.Length; i++) key[i] = (byte)(i * 7 + 1);
        _aes = new AesGcm(key, 16);
        _plain = new byte[Size];
        for (int i = 0; i < Size; i++) _plain[i] = (byte)i;
        _cipher = new byte[Size];
        _sealed = new byte[Size];
        _out = new byte[Size];
        _aes.Encrypt(_sealedNonce, _plain, _sealed, _sealedTag, _aad);
    }

    /// <summary>Encrypt with a fresh nonce each time (the explicit IV is the sequence number).</summary>
    [Benchmark]
    public byte Seal()
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(4), ++_counter);
        _aes.Encrypt(_nonce, _plain, _cipher, _tag, _aad);
        return _tag[0];
    }

    [Benchmark]
    public byte Open()
    {
        _aes.Decrypt(_sealedNonce, _sealed, _sealedTag, _out, _aad);
        return _out[0];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _aes?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// The lab's ESP frames (captures/Lab.Captures/EspFrames): building an Ethernet frame for an
/// inner IPv4/UDP packet of <see cref="Size"/> bytes in tunnel mode with UDP encapsulation
/// (esp_output, RFC 4303/3948, real AES-GCM), and receiving one (parse, verify, decrypt, strip).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Suites.Crypto)]
[OperationUnit("packet")]
public class EspFrameBenchmarks : IDisposable
{
    [Params(64, 512, 1500)]
    public int Size { get; set; }

    EspFrameBuilder _builder = null!;
    EspFrameDecryptor _decryptor = null!;
    byte[] _inner = null!, _frame = null!, _built = null!, _opened = null!;
    int _innerLength, _builtLength;
    ulong _seq;

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[20];
        for (int i = 0; i < key.Length; i++) key[i] = (byte)(0x11 * (i % 15) + 3);
        var sa = new EspSecurityAssociation
        {
            Spi = 0x1000,
            KeyMaterial = key,
            Mode = EspMode.Tunnel,
            TunnelSource = IPAddress.Parse("192.0.2.1"),
            TunnelDestination = IPAddress.Parse("198.51.100.1"),
            EncapSourcePort = EspSecurityAssociation.NatTraversalPort,
            EncapDestinationPort = EspSecurityAssociation.NatTraversalPort,
        };
        _builder = new EspFrameBuilder(sa);
        _decryptor = new EspFrameDecryptor(sa);
        var flow = new FlowAddresses(new MacAddress(0x02_00_00_00_00_01), new MacAddress(0x02_00_00_00_00_02),
            IPAddress.Parse("10.1.0.1"), IPAddress.Parse("10.2.0.1"), 5000, 6000);
        _inner = new byte[Size];
        _innerLength = FrameBuilder.WriteUdpPacket(_inner, flow, new byte[Size - 28]);
        _frame = new byte[Size + 128];
        _built = new byte[Size + 128];
        _builtLength = _builder.Build(_built, _inner.AsSpan(0, _innerLength), 1);
        _opened = new byte[_built.Length];
        var check = _decryptor.Open(_built.AsSpan(0, _builtLength), _opened);
        if (check.Status != EspOpenStatus.Ok || check.InnerLength != _innerLength)
            throw new InvalidOperationException($"ESP round trip failed in setup: {check.Status}");
    }

    [Benchmark]
    public int Build() => _builder.Build(_frame, _inner.AsSpan(0, _innerLength), ++_seq);

    [Benchmark]
    public int Open() => _decryptor.Open(_built.AsSpan(0, _builtLength), _opened).InnerLength;

    [GlobalCleanup]
    public void Dispose()
    {
        _builder?.Dispose();
        _decryptor?.Dispose();
        GC.SuppressFinalize(this);
    }
}
