namespace Lab.Bench;

/// <summary>The suite names: BenchmarkDotNet categories, `lab bench --suite NAME`.</summary>
public static class Suites
{
    public const string Engine = "engine";
    public const string PacketPath = "packet-path";
    public const string Models = "models";
    public const string Crypto = "crypto";
    public const string Io = "io";
    public const string EndToEnd = "end-to-end";

    /// <summary>In the order `lab bench` runs them.</summary>
    public static readonly string[] All = [Engine, PacketPath, Models, Crypto, Io, EndToEnd];
}

/// <summary>What one operation of a benchmark is (an event, a packet, a lookup, a scenario run): the unit of its rate.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class OperationUnitAttribute(string unit) : Attribute
{
    public string Unit { get; } = unit;
}
