namespace Lab.KernelLab.TimingValidation;

/// <summary>
/// The simulation's side of a timing validation: the same scenario with the same costs, on one core that
/// also pays the measured harness cost (injection, veth and sink, which run on the injecting CPU in the
/// kernel) so that its saturation and drop onset are those of the measured box.
/// </summary>
public interface ITimingModel
{
    /// <summary>
    /// Simulates the scenario offered <paramref name="offeredPps"/> packets per second (null: far above
    /// what the core can do) with <paramref name="harnessNsPerPacket"/> of harness work per packet on its core.
    /// </summary>
    TimingPrediction Predict(double? offeredPps, double harnessNsPerPacket);
}

/// <summary>What the simulation predicts at one offered rate.</summary>
/// <param name="NsPerPacket">The forward element's charged CPU per packet (metric NAME.cost_per_packet_ns).</param>
/// <param name="OfferedPps">Packets per second the simulation offered.</param>
/// <param name="DeliveredPps">Packets per second it delivered.</param>
public sealed record TimingPrediction(double NsPerPacket, double OfferedPps, double DeliveredPps)
{
    public double Loss => OfferedPps > 0 ? Math.Max(0, 1 - DeliveredPps / OfferedPps) : 0;
}
