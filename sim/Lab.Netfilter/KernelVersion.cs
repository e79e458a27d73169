using System.Globalization;
using Lab.Core;

namespace Lab.Netfilter;

/// <summary>
/// A mainline kernel version (major.minor). Behaviour that changed between kernels is selected by
/// comparing against the version that introduced the change, never by forking the model.
/// </summary>
public readonly record struct KernelVersion(int Major, int Minor) : IComparable<KernelVersion>
{
    /// <summary>
    /// The default the models follow: 6.12, the kernel of Debian 13 (trixie), which is the kernel the
    /// lab's qemu validation boots. Newer behaviour (6.14 flowtable CLOSING state) is a parameter.
    /// </summary>
    public static readonly KernelVersion Default = new(6, 12);

    public int CompareTo(KernelVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public bool AtLeast(int major, int minor) => CompareTo(new KernelVersion(major, minor)) >= 0;

    public static bool operator <(KernelVersion a, KernelVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(KernelVersion a, KernelVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(KernelVersion a, KernelVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(KernelVersion a, KernelVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");

    /// <summary>
    /// The version of a running kernel from its release string (uname -r, /proc/sys/kernel/osrelease),
    /// e.g. "6.1.0-28-amd64" or "6.18.44-fc-v669": its leading MAJOR.MINOR.
    /// </summary>
    public static KernelVersion FromRelease(string release)
    {
        ArgumentNullException.ThrowIfNull(release);
        int dot = release.IndexOf('.', StringComparison.Ordinal);
        int end = dot + 1;
        while (end < release.Length && char.IsAsciiDigit(release[end])) end++;
        if (dot <= 0 || end == dot + 1) throw new FormatException($"kernel release '{release}' does not start with MAJOR.MINOR");
        return Parse(release[..end]);
    }

    /// <summary>Parses "6.12" or "5.15"; a third component ("6.1.55") is accepted and ignored.</summary>
    public static KernelVersion Parse(string text)
    {
        var parts = text.Split('.');
        if (parts.Length < 2 || parts.Length > 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minor)
            || major < 2 || major > 99)
            throw new LabInputException($"expected a kernel version such as 6.12 or 5.15, found '{text}'");
        return new KernelVersion(major, minor);
    }
}
