using Lab.Captures.Frames;

namespace Lab.KernelLab.Validation;

/// <summary>
/// A kernel to validate against, with the plumbing around it: the DUT has an ingress
/// interface (ESP arrives there) and an egress interface (decrypted packets leave there);
/// on the harness side, frames are injected into the ingress link from namespace
/// <see cref="InjectNamespace"/> and captured from the egress link in <see cref="CaptureNamespace"/>.
/// Both links and all namespaces belong to the DUT object and go away with it.
/// </summary>
public interface IDeviceUnderTest : IDisposable
{
    /// <summary>One line for reports, e.g. "vm: Debian kernel 6.1.0-28-amd64 under qemu (tcg, 1 vCPU)".</summary>
    string Description { get; }

    /// <summary>uname -r of the DUT's kernel.</summary>
    string KernelRelease { get; }

    /// <summary>The DUT's name for its ingress interface (ESP arrives here).</summary>
    string IngressInterface { get; }

    /// <summary>The DUT's name for its egress interface (decrypted packets leave here).</summary>
    string EgressInterface { get; }

    MacAddress DutIngressMac { get; }

    MacAddress HostIngressMac { get; }

    /// <summary>The DUT's own address on its egress interface (frames injected from the capture side go to it).</summary>
    MacAddress DutEgressMac { get; }

    /// <summary>The address of the capture side of the egress link (the DUT's next hop).</summary>
    MacAddress ReceiverMac { get; }

    string InjectNamespace { get; }

    string InjectInterface { get; }

    string CaptureNamespace { get; }

    string CaptureInterface { get; }

    /// <summary>Runs a POSIX shell script in the DUT (its network namespace); returns stdout, throws on a non-zero exit.</summary>
    string Run(string script);

    /// <summary>Like <see cref="Run"/> but returns the exit code and the combined output instead of throwing.</summary>
    (int ExitCode, string Output) TryRun(string script);

    /// <summary>Starts <paramref name="executable"/> in the DUT in the background (it stays until the DUT goes) and returns its first line of output.</summary>
    string StartBackground(string name, byte[] executable, TimeSpan timeout);
}
