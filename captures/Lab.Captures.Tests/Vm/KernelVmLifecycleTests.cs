using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.Vm;

/// <summary>Timeouts and teardown, on a guest of its own (it is disposed inside the test).</summary>
[Collection(KernelVmCollection.Name)]
public sealed class KernelVmLifecycleTests
{
    [VmFact]
    public void Timeout_kills_the_command_and_all_it_started_then_dispose_removes_qemu_and_the_namespace()
    {
        var vm = KernelVm.Boot();
        var netns = vm.NetnsName;
        var qemuPid = vm.QemuProcessId;
        try
        {
            Assert.True(File.Exists("/run/netns/" + netns));
            Assert.True(Directory.Exists($"/proc/{qemuPid}"));

            var e = Assert.Throws<VmCommandTimeoutException>(() => vm.Run("sleep 3131 & echo started; sleep 3132", TimeSpan.FromSeconds(2)));
            // The guest killed it and answered (a host-side timeout would carry no result).
            Assert.NotNull(e.Partial);
            Assert.Equal(137, e.Partial!.ExitCode); // 128 + SIGKILL
            Assert.Equal("started\n", e.Partial.Stdout);

            // The background sleep was in the killed session too, and the VM still answers.
            Assert.Equal("", vm.RunChecked("ps -o args | grep -v grep | grep 'sleep 313' || true"));
        }
        finally
        {
            vm.Dispose();
        }

        Assert.False(File.Exists("/run/netns/" + netns));
        Assert.False(Directory.Exists($"/proc/{qemuPid}"));
        Assert.Throws<ObjectDisposedException>(() => vm.Run("true"));
    }
}
