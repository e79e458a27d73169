namespace Lab.Core;

/// <summary>
/// A drop reason that comes from a configured limit rather than from what a run studies (packets
/// over the MTU, a ring or queue too small, a window clamped): what it means and the scenario key to
/// change. A model declares it where it registers the drop reason, so the run's summary can say why
/// a run dropped what it dropped ("82% of drops: esp_out.XfrmOutStateModeError (packets over the MTU):
/// raise path.esp_out.mtu ...").
/// </summary>
/// <param name="What">The cause in a few words, e.g. "packets over the MTU".</param>
/// <param name="Remedy">What to change, naming scenario keys, e.g. "raise path.esp_out.mtu or lower the traffic size".</param>
public sealed record DropCause(string What, string Remedy);
