using Lab.Engine;
using Lab.Models.Traffic;

namespace Lab.Cli.Running;

/// <summary>Reads a capture as traffic: one listed packet per record, at its time relative to the first record.</summary>
public static class PcapTraffic
{
    public static IReadOnlyList<ListedPacket> Load(string path) =>
        throw new LabInputException($"{path}: pcap traffic needs the capture reader, which is not built yet");
}
