using Lab.Captures.EspFrames;
using Lab.Core;
using Lab.Radio.Reordering;

namespace Lab.Experiments.Reordering;

/// <summary>Arrival traces for <c>lab reorder --pcap</c>: one SA's ESP sequence numbers and capture times.</summary>
public static class EspArrivalTraces
{
    /// <summary>ESP sequence numbers and capture times of one SA in a capture; with ESN the high half is inferred as the receiver does.</summary>
    public static ArrivalTrace ReadPcap(string path, uint? spi, bool esn)
    {
        var arrivals = EspCaptureArrivals.Read(path);
        var order = arrivals.Spis;
        if (order.Count == 0) throw new LabInputException($"{path}: expected ESP packets, found none in {arrivals.Records} records");
        uint chosen;
        if (spi is { } s) chosen = s;
        else if (order.Count == 1) chosen = order[0];
        else throw ParameterException.Mentioning($"{path}: {order.Count} SPIs found ({string.Join(", ", order.Select(x => $"0x{x:x}"))}): choose one with ", new ParameterName("spi"));
        var (seqs, times) = arrivals.Sequence(chosen, esn);
        return new ArrivalTrace($"{path} (SPI 0x{chosen:x})", seqs, times);
    }
}
