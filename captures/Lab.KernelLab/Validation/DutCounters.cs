using System.Globalization;
using Lab.KernelLab.Vm;

namespace Lab.KernelLab.Validation;

/// <summary>One reading of the DUT's counters (<see cref="DutScripts.ReadCounters"/>).</summary>
/// <param name="Stat">/proc/net/xfrm_stat.</param>
/// <param name="IngressRxPackets">rx_packets of the ingress interface.</param>
/// <param name="IngressRxDropped">rx_dropped of the ingress interface.</param>
/// <param name="States">Every SA of `ip -s xfrm state`, when asked for.</param>
public sealed record DutCounters(XfrmStat Stat, long IngressRxPackets, long IngressRxDropped, IReadOnlyList<XfrmSaCounters> States)
{
    public static DutCounters Read(IDeviceUnderTest dut, bool states)
    {
        ArgumentNullException.ThrowIfNull(dut);
        return Parse(dut.Run(DutScripts.ReadCounters(dut, states)));
    }

    public static DutCounters Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int stat = text.IndexOf(DutScripts.StatMarker, StringComparison.Ordinal);
        int ingress = text.IndexOf(DutScripts.IngressMarker, StringComparison.Ordinal);
        int states = text.IndexOf(DutScripts.StatesMarker, StringComparison.Ordinal);
        if (stat < 0 || ingress < stat) throw new FormatException($"DUT counters: expected the '{DutScripts.StatMarker}' and '{DutScripts.IngressMarker}' sections, found: {text}");
        string statText = text[(stat + DutScripts.StatMarker.Length)..ingress];
        string ingressText = states < 0 ? text[(ingress + DutScripts.IngressMarker.Length)..] : text[(ingress + DutScripts.IngressMarker.Length)..states];
        var numbers = ingressText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (numbers.Length != 2) throw new FormatException($"DUT counters: expected rx_packets and rx_dropped, found '{ingressText.Trim()}'");
        var list = states < 0 ? [] : XfrmSaCounters.ParseAll(text[(states + DutScripts.StatesMarker.Length)..].TrimStart('\n'));
        return new DutCounters(XfrmStat.Parse(statText),
            long.Parse(numbers[0], CultureInfo.InvariantCulture), long.Parse(numbers[1], CultureInfo.InvariantCulture), list);
    }
}
