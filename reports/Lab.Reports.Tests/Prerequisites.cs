using System.Diagnostics;
using SkiaSharp;

namespace Lab.Reports.Tests;

/// <summary>Facts that need the DejaVu fonts (Debian fonts-dejavu-core): ScottPlot draws no text without a font.</summary>
public sealed class FontsFactAttribute : FactAttribute
{
    public FontsFactAttribute()
    {
        if (!Prerequisites.HasFont) Skip = "font 'DejaVu Sans' is not installed (apt-get install fonts-dejavu-core)";
    }
}

/// <summary>Facts that need a real browser (Debian chromium) and the fonts.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Prerequisites.Chromium is null) Skip = "chromium is not installed (apt-get install chromium)";
        else if (!Prerequisites.HasFont) Skip = "font 'DejaVu Sans' is not installed (apt-get install fonts-dejavu-core)";
    }
}

/// <summary>Theories that need a real browser (Debian chromium) and the fonts.</summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    public ChromiumTheoryAttribute()
    {
        if (Prerequisites.Chromium is null) Skip = "chromium is not installed (apt-get install chromium)";
        else if (!Prerequisites.HasFont) Skip = "font 'DejaVu Sans' is not installed (apt-get install fonts-dejavu-core)";
    }
}

public static class Prerequisites
{
    public static bool HasFont { get; } = SKFontManager.Default.FontFamilies.Contains("DejaVu Sans");

    /// <summary>The chromium binary on PATH (Debian installs /usr/bin/chromium), or null.</summary>
    public static string? Chromium { get; } = Find("chromium") ?? Find("chromium-browser");

    static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    public static int Run(string file, IEnumerable<string> args, out string stderr, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in {timeoutMs} ms");
        }
        stderr = err.Result + output.Result;
        return p.ExitCode;
    }
}
