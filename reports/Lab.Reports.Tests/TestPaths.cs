namespace Lab.Reports.Tests;

/// <summary>Fixture and golden folders (copied beside the test assembly) and scratch folders.</summary>
public static class TestPaths
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    public static string Scratch(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "lab-reports-tests", name + "-" + Environment.ProcessId);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A copy of a fixture to corrupt in a test.</summary>
    public static string CopyOfFixture(string name, string scratch)
    {
        string target = Path.Combine(Scratch(scratch), name);
        Directory.CreateDirectory(target);
        foreach (var f in Directory.GetFiles(Fixture(name))) File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
        return target;
    }
}
