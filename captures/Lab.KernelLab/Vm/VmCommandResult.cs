namespace Lab.KernelLab.Vm;

/// <summary>What one command run in the guest returned.</summary>
/// <param name="ExitCode">The shell's exit status (128 + N when killed by signal N).</param>
/// <param name="Stdout">Standard output, decoded as UTF-8.</param>
/// <param name="Stderr">Standard error, decoded as UTF-8.</param>
public sealed record VmCommandResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public void Deconstruct(out int exitCode, out string stdout)
    {
        exitCode = ExitCode;
        stdout = Stdout;
    }
}

/// <summary>The VM cannot run here: a tool, a permission or the kernel image is missing.</summary>
public sealed class VmUnavailableException : Exception
{
    public VmUnavailableException() { }
    public VmUnavailableException(string message) : base(message) { }
    public VmUnavailableException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The VM failed: it did not boot, qemu died, or the control channel broke.</summary>
public class VmException : Exception
{
    public VmException() { }
    public VmException(string message) : base(message) { }
    public VmException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A guest command exited non-zero where success was required.</summary>
public sealed class VmCommandException : VmException
{
    public VmCommandException() { }
    public VmCommandException(string message) : base(message) { }
    public VmCommandException(string message, Exception inner) : base(message, inner) { }

    public VmCommandException(string command, VmCommandResult result)
        : base($"guest command failed with exit code {result.ExitCode}: {FirstLine(command)}\n{result.Stderr}{result.Stdout}")
    {
        Result = result;
    }

    public VmCommandResult? Result { get; }

    private static string FirstLine(string s)
    {
        var nl = s.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? s : s[..nl] + " ...";
    }
}

/// <summary>A guest command ran past its timeout and was killed (with all it started).</summary>
public sealed class VmCommandTimeoutException : TimeoutException
{
    public VmCommandTimeoutException() { }
    public VmCommandTimeoutException(string message) : base(message) { }
    public VmCommandTimeoutException(string message, Exception inner) : base(message, inner) { }

    public VmCommandTimeoutException(string message, VmCommandResult? partial) : base(message)
    {
        Partial = partial;
    }

    /// <summary>What the command had written before it was killed, if the guest answered.</summary>
    public VmCommandResult? Partial { get; }
}
