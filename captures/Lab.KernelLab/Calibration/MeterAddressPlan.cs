namespace Lab.KernelLab.Calibration;

/// <summary>One flow's IPv4 addresses and UDP ports, host byte order.</summary>
public readonly record struct MeterTuple(uint Source, uint Destination, ushort SourcePort, ushort DestinationPort);

/// <summary>
/// The addresses the meter gives each new flow when they must be those of a simulated scenario: flow k of a
/// new-flow load (warm-up flows first, the window's after them, as the simulation numbers them) gets
/// <see cref="Tuple"/>(k). NAT's work per setup depends on the tuples (how many share a translated source
/// port and destination), so the kernel and the model must see the same ones.
/// </summary>
public interface IMeterAddressPlan
{
    MeterTuple Tuple(long flow);

    /// <summary>New flows the meter's warm-up sends (flows 0 .. WarmupFlows-1); null: the meter's default (20,000 at most).</summary>
    long? WarmupFlows => null;

    /// <summary>For progress and reports, e.g. "65536 subscribers 10.0.0.1.., 1 destination 198.18.0.1:443".</summary>
    string Describe();
}
