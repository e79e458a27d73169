using Lab.KernelLab.Validation;
using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.Validation;

/// <summary>
/// One guest for every validation test class (a boot costs 5-40 s of emulation): two NICs,
/// the validator's network, policies and ESP-in-UDP sockets configured once. Each test then
/// adds its own SAs (distinct SPIs), injects once per SA and removes them.
/// </summary>
public sealed class ValidationVmFixture : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("lab-validation-").FullName;

    public ValidationVmFixture()
    {
        if (VmPrerequisites.MissingReason is not null) return; // every test is skipped with the reason
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Dut = VmDeviceUnderTest.Boot();
        try
        {
            Validator = new EspKernelValidator(Dut);
        }
        catch
        {
            Dut.Dispose();
            throw;
        }
        SetupTime = clock.Elapsed;
    }

    public VmDeviceUnderTest? Dut { get; }

    public EspKernelValidator? Validator { get; }

    public TimeSpan SetupTime { get; }

    /// <summary>The validator; throws with the skip reason where there is no VM (tests are skipped before).</summary>
    public EspKernelValidator Kernel => Validator ?? throw new InvalidOperationException(VmPrerequisites.MissingReason);

    /// <summary>Writes the plan's frames and runs it; the pcap goes to a scratch directory removed with the fixture.</summary>
    public EspKernelRun Run(EspValidationPlan plan, string name)
    {
        string pcap = Path.Combine(_dir, name + ".pcap");
        EspTraceFrames.WritePcap(pcap, plan);
        return Kernel.Run(plan, pcap);
    }

    public void Dispose()
    {
        Dut?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The validation classes share one guest and run alone (the VM takes a whole core).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ValidationVmCollection : ICollectionFixture<ValidationVmFixture>
{
    public const string Name = "kernel-vm-validation";
}
