using Lab.Core;
using Lab.Models;

namespace Lab.Esp.Path;

/// <summary>
/// CPU cost of ESP per packet on one core: a fixed part (xfrm lookup, skb handling, the
/// output/input path) plus the cipher's cycles per byte at the core's clock. Packet bulking
/// (GSO/GRO-style batches through xfrm) pays the batch part once per batch. With one SA shared
/// by several cores, the SA lock (x->lock, held in xfrm_output_one / xfrm_input around the
/// sequence number and replay state) serialises a short critical section, and the lock's cache
/// line moves when the holder changes core.
/// </summary>
public sealed record EspCosts
{
    const string Calibrated = "[A] calibrated so one core moves ~3.3 Gbit/s of 1500 B packets (linux-ipsec.org 2025 pCPU tests, REFERENCES.md); the split between fixed and per-byte cost is an assumption";

    // The one declaration of ESP's CPU costs: the defaults below come from these, and esp_out/esp_in bind them.

    public static readonly Parameter<long> OutPerPacketParameter = Parameter.Duration("per_packet", 3100 * SimTime.Nanosecond, Calibrated,
        "Fixed outbound cost per packet (xfrm_output, esp_output without the cipher).");

    public static readonly Parameter<long> InPerPacketParameter = Parameter.Duration("per_packet", 3100 * SimTime.Nanosecond, Calibrated,
        "Fixed inbound cost per packet (xfrm_input, esp_input without the cipher).");

    public static readonly Parameter<double> CyclesPerByteParameter = Parameter.Number("cycles_per_byte", 1.0, 0, 1000,
        "[A] AES-GCM with AES-NI and PCLMULQDQ, about 1 cycle/byte for large buffers (Gueron, 2013; not re-checked)",
        "Cipher cost in CPU cycles per encrypted byte, whatever the transform.", unit: "cycles/B");

    public static readonly Parameter<double> CoreGhzParameter = Parameter.Number("core_ghz", 3.0, 0.1, 10, "assumption", "Core clock converting cycles to time.", unit: "GHz");

    public static readonly Parameter<long> SaLockHoldParameter = Parameter.Duration("sa_lock_hold", 60 * SimTime.Nanosecond,
        "assumption: x->lock critical section (sequence number, replay, lifetime)", "Critical section under the SA lock per packet, serialised when one SA is shared by cores.");

    public static readonly Parameter<long> CacheLineBounceParameter = Parameter.Duration("cache_line_bounce", 120 * SimTime.Nanosecond,
        "assumption: a contended cache-line transfer between cores (~100 ns on x86 servers)", "Extra time when the SA lock moves to another core.");

    public static readonly Parameter<double> BatchableShareParameter = Parameter.Number("batchable_share", 0.6, 0, 1,
        "assumption: share of the fixed cost a GSO/GRO batch pays once", "Share of the fixed cost a bulked batch pays once.");

    /// <summary>Fixed outbound cost per packet (ps).</summary>
    public long OutPerPacket { get; init; } = OutPerPacketParameter.Default;

    /// <summary>Fixed inbound cost per packet (ps).</summary>
    public long InPerPacket { get; init; } = InPerPacketParameter.Default;

    /// <summary>Share of the fixed cost paid once per batch rather than per packet when bulking.</summary>
    public double BatchableShare { get; init; } = BatchableShareParameter.Default;

    /// <summary>Cipher cost in CPU cycles per encrypted byte.</summary>
    public double CyclesPerByte { get; init; } = CyclesPerByteParameter.Default;

    /// <summary>Core clock in GHz (cycles per nanosecond).</summary>
    public double CoreGhz { get; init; } = CoreGhzParameter.Default;

    /// <summary>Critical section under the SA lock per packet (ps).</summary>
    public long SaLockHold { get; init; } = SaLockHoldParameter.Default;

    /// <summary>Extra time when the SA lock's cache line comes from another core (ps).</summary>
    public long CacheLineBounce { get; init; } = CacheLineBounceParameter.Default;

    public long Crypto(int bytes) => (long)Math.Round(bytes * CyclesPerByte / CoreGhz * SimTime.Nanosecond);

    /// <summary>The fixed cost of one packet in a batch of <paramref name="batch"/>.</summary>
    public long Fixed(long perPacket, int batch) =>
        batch <= 1 ? perPacket : (long)Math.Round(perPacket * (1 - BatchableShare) + perPacket * BatchableShare / batch);

    /// <summary>
    /// The cost keys of an esp_out (<paramref name="outbound"/>) or esp_in element. The cipher cost is
    /// the same cycles_per_byte for every transform (the model does not vary it by cipher).
    /// </summary>
    public static IReadOnlyList<Parameter> Parameters(bool outbound) =>
    [
        outbound ? OutPerPacketParameter : InPerPacketParameter,
        CyclesPerByteParameter, CoreGhzParameter, SaLockHoldParameter, CacheLineBounceParameter, BatchableShareParameter,
    ];
}
