using System.Globalization;

namespace Lab.KernelLab.Vm;

/// <summary>
/// One network link between the harness and the guest: a tap device in the harness's
/// namespace, which qemu joins to a virtio-net device the guest sees as eth{Index}.
/// Frames sent on the tap (AF_PACKET) arrive on the guest's interface and what the guest
/// sends there can be read from the tap.
/// </summary>
/// <param name="Index">0 for the first link.</param>
/// <param name="TapName">The tap device, e.g. tap0, inside the harness's namespace.</param>
/// <param name="TapMac">The tap's own address (fixed, locally administered).</param>
/// <param name="GuestInterface">The guest's name for it (eth0, eth1, ... in PCI slot order).</param>
/// <param name="GuestMac">The guest interface's address.</param>
public sealed record VmNic(int Index, string TapName, string TapMac, string GuestInterface, string GuestMac)
{
    /// <summary>The link with this index, as <see cref="VmNetns.Create"/> makes it.</summary>
    public static VmNic ForIndex(int i) => new(
        i,
        string.Create(CultureInfo.InvariantCulture, $"tap{i}"),
        string.Create(CultureInfo.InvariantCulture, $"02:00:00:00:01:{i + 1:x2}"),
        string.Create(CultureInfo.InvariantCulture, $"eth{i}"),
        string.Create(CultureInfo.InvariantCulture, $"52:54:00:00:01:{i + 1:x2}"));

    /// <summary>The MAC address as 6 bytes, for building frames.</summary>
    public static byte[] MacBytes(string mac) =>
        mac.Split(':').Select(h => byte.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
}
