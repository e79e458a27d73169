using Lab.KernelLab.Validation;
using Lab.Esp;
using Lab.Esp.Replay;

namespace Lab.Captures.Tests.Validation;

public sealed class ReplayReferenceVerdictsTests
{
    [Fact]
    public void Reads_verdicts_and_counters_from_what_lab_esp_replay_prints()
    {
        var sa = new EspValidationSa { Check = "c", Spi = 1, Key = new byte[20], Replay = XfrmReplayMode.Legacy, Window = 32 };

        // xfrm_replay_check_legacy: 1 new; 1 again a duplicate; 0 dropped without a per-SA
        // counter; 40 new (top 40); 8 is 32 behind, too old for a 32-packet window.
        var r = ReplayReferenceVerdicts.Run(sa, [1, 1, 0, 40, 8]);

        Assert.Equal([DropReason.None, DropReason.Replay, DropReason.SequenceZero, DropReason.None, DropReason.ReplayWindow], r.Verdicts);
        Assert.Equal(new EspSaCounters(1, 1, 0, 2, 3, 0), r.Counters);
    }

    [Fact]
    public void Output_that_breaks_the_contract_is_refused()
    {
        var e = Assert.Throws<FormatException>(() => ReplayReferenceVerdicts.Parse("accept\nmaybe\n", 2));
        Assert.Equal("lab esp replay line 2: expected accept or drop REASON, found 'maybe'", e.Message);
    }
}
