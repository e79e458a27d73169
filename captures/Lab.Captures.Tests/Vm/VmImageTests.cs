using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.Vm;

public sealed class VmImageTests
{
    [Fact]
    public void Build_output_names_the_kernel_the_initramfs_and_the_release()
    {
        var dir = Directory.CreateTempSubdirectory("vmimage-");
        try
        {
            var kernel = Path.Combine(dir.FullName, "vmlinuz");
            var initrd = Path.Combine(dir.FullName, "initramfs.gz");
            File.WriteAllText(kernel, "k");
            File.WriteAllText(initrd, "i");

            var image = VmImage.Parse($"noise\nKERNEL={kernel}\nINITRD={initrd}\nKERNEL_RELEASE=6.1.0-56-amd64\n");

            Assert.Equal(new VmImage(kernel, initrd, "6.1.0-56-amd64"), image);
            Assert.Throws<VmUnavailableException>(() => VmImage.Parse($"KERNEL={kernel}\nKERNEL_RELEASE=6.1.0-56-amd64\n"));
            Assert.Throws<VmUnavailableException>(() =>
                VmImage.Parse($"KERNEL={kernel}.missing\nINITRD={initrd}\nKERNEL_RELEASE=6.1.0-56-amd64\n"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Build_script_is_found_from_the_test_binaries()
    {
        var script = VmImage.FindBuildScript();

        Assert.NotNull(script);
        Assert.EndsWith(Path.Combine("captures", "vm", "build.sh"), script, StringComparison.Ordinal);
    }

    [Fact]
    public void Nics_get_fixed_names_addresses_and_pci_slots_in_order()
    {
        var second = VmNic.ForIndex(1);

        Assert.Equal(new VmNic(1, "tap1", "02:00:00:00:01:02", "eth1", "52:54:00:00:01:02"), second);
        Assert.Equal(new byte[] { 0x52, 0x54, 0, 0, 1, 2 }, VmNic.MacBytes(second.GuestMac));
    }
}
