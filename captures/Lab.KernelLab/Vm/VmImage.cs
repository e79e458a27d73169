namespace Lab.KernelLab.Vm;

/// <summary>
/// The kernel and initramfs a <see cref="KernelVm"/> boots, built and cached by
/// captures/vm/build.sh (Debian 12's linux-image-amd64, busybox, kmod, ip, nft, conntrack,
/// the net/crypto/netfilter modules). The first build downloads one package and takes
/// a minute or two; afterwards the script only checks its stamp.
/// </summary>
/// <param name="KernelPath">vmlinuz.</param>
/// <param name="InitrdPath">initramfs.gz.</param>
/// <param name="KernelRelease">uname -r of the guest, e.g. 6.1.0-56-amd64.</param>
public sealed record VmImage(string KernelPath, string InitrdPath, string KernelRelease)
{
    /// <summary>Environment variable naming build.sh when the harness runs outside the repository.</summary>
    public const string ScriptVariable = "LAB_VM_BUILD_SCRIPT";

    /// <summary>
    /// Runs build.sh (which returns at once when its cache is complete) and returns the image.
    /// Progress lines of the script go to <paramref name="progress"/>.
    /// </summary>
    /// <exception cref="VmUnavailableException">The script is missing or failed (for example no network to apt).</exception>
    public static VmImage Build(TextWriter? progress = null)
    {
        var script = FindBuildScript()
            ?? throw new VmUnavailableException(
                $"captures/vm/build.sh not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}; set {ScriptVariable}");
        VmCommandResult r;
        try
        {
            r = HostCommand.Run("bash", [script], TimeSpan.FromMinutes(20), progress);
        }
        catch (TimeoutException e)
        {
            throw new VmUnavailableException($"{script} did not finish: {e.Message}", e);
        }
        if (r.ExitCode != 0)
        {
            var tail = string.Join(" | ", r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));
            throw new VmUnavailableException($"{script} failed ({r.ExitCode}): {tail}");
        }
        return Parse(r.Stdout);
    }

    /// <summary>Reads the KERNEL=, INITRD=, KERNEL_RELEASE= lines build.sh prints last.</summary>
    public static VmImage Parse(string buildOutput)
    {
        ArgumentNullException.ThrowIfNull(buildOutput);
        string? kernel = null, initrd = null, release = null;
        foreach (var line in buildOutput.Split('\n'))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                continue;
            var value = line[(eq + 1)..].Trim();
            switch (line[..eq])
            {
                case "KERNEL": kernel = value; break;
                case "INITRD": initrd = value; break;
                case "KERNEL_RELEASE": release = value; break;
                default: break;
            }
        }
        if (kernel is null || initrd is null || release is null)
            throw new VmUnavailableException("build.sh did not print KERNEL=, INITRD= and KERNEL_RELEASE=");
        foreach (var f in new[] { kernel, initrd })
        {
            if (!File.Exists(f))
                throw new VmUnavailableException($"build.sh named {f}, which does not exist");
        }
        return new VmImage(kernel, initrd, release);
    }

    /// <summary>$LAB_VM_BUILD_SCRIPT, else captures/vm/build.sh in a parent of the binaries or of the working directory.</summary>
    public static string? FindBuildScript()
    {
        var env = Environment.GetEnvironmentVariable(ScriptVariable);
        if (!string.IsNullOrEmpty(env))
            return File.Exists(env) ? Path.GetFullPath(env) : null;
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "captures", "vm", "build.sh");
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }
}
