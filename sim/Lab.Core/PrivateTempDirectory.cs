namespace Lab.Core;

/// <summary>
/// A private temporary folder for files the lab hands to other programs (nft rulesets, helper
/// binaries, benchmark artifacts). The lab runs as root on machines where fs.protected_symlinks
/// may be 0, so a predictable name in the shared /tmp would let another user plant a symbolic link
/// there and redirect the write. The folder is made by mkdtemp (<see cref="Directory.CreateTempSubdirectory"/>):
/// a random name, created exclusively, mode 0700; files in it are created with
/// <see cref="FileMode.CreateNew"/> (never through an existing name), and the folder goes with
/// everything in it on <see cref="Dispose"/>.
/// </summary>
public sealed class PrivateTempDirectory : IDisposable
{
    int _disposed;

    public PrivateTempDirectory(string prefix)
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    /// <summary>Creates <paramref name="name"/> (a plain file name) in the folder with <paramref name="bytes"/>; fails if it exists.</summary>
    public string WriteFile(string name, ReadOnlySpan<byte> bytes, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name != System.IO.Path.GetFileName(name) || name is "." or "..") throw new ArgumentException($"expected a file name, found '{name}'", nameof(name));
        string file = System.IO.Path.Combine(Path, name);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var f = new FileStream(file, options)) f.Write(bytes);
        return file;
    }

    public string WriteFile(string name, string text) => WriteFile(name, new System.Text.UTF8Encoding(false).GetBytes(text));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }
}
