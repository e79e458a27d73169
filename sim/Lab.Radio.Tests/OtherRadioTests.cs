using Lab.Core;
using Lab.Radio.Keepalive;
using Lab.Radio.Power;

namespace Lab.Radio.Tests;

public class OtherRadioTests
{
    const long Ms = SimTime.Millisecond;
    const long S = SimTime.Second;

    [Fact]
    public void Umts_isolated_keepalive_pays_promotion_dch_tail_and_fach_tail()
    {
        // 659 x 0.582 = 383.538; DCH tail 804 x 8.088 = 6502.752; FACH tail 601 x 0.824 = 495.224;
        // transmission 232 bit at 1 Mbit/s = 232 us at 868.98 x 1 + 817.88 = 1686.86 mW = 0.39135152 mJ.
        var c = KeepaliveEnergy.Isolated(RrcProfiles.Umts(), 29);
        Assert.Equal(383.538, c.PromotionMj, 6);
        Assert.Equal(0.39135152, c.TransmissionMj, 8);
        Assert.Equal(6502.752 + 495.224, c.TailMj, 6);
    }

    [Fact]
    public void Umts_small_packet_stays_on_fach_and_restarts_its_timer()
    {
        var umts = RrcProfiles.Umts();
        long fachEntry = 582 * Ms + 232 * SimTime.Microsecond + 8_088 * Ms;
        // A 100-byte packet 0.5 s into CELL_FACH: below the 543 B uplink threshold, no promotion; FACH
        // then lasts 0.5 s + a fresh 824 ms.
        var r = EnergyIntegrator.Run(umts, [new Transmission(0, 29, Direction.Uplink), new Transmission(fachEntry + 500 * Ms, 100, Direction.Uplink)], 0, 20 * S);
        Assert.Equal(1, r.Promotions);
        Assert.Equal(1, r.SmallPacketsInFach);
        Assert.Equal(500 * Ms + 824 * Ms, r.Time(RrcState.FachTail));
        // A 1000-byte packet there is promoted to DCH (1.5 s at 800 mW).
        var big = EnergyIntegrator.Run(umts, [new Transmission(0, 29, Direction.Uplink), new Transmission(fachEntry + 500 * Ms, 1000, Direction.Uplink)], 0, 20 * S);
        Assert.Equal(2, big.Promotions);
        Assert.Equal(1_500 * Ms, big.Time(RrcState.FachToDchPromotion));
        Assert.Equal(1200.0, big.EnergyMj(RrcState.FachToDchPromotion), 9);
    }

    [Fact]
    public void Nr_demotes_to_inactive_then_idle_and_resumes_from_inactive()
    {
        var nr = RrcProfiles.Nr();
        long afterTail = 260_100 * SimTime.Microsecond + 38_666_667L + 10 * S;
        // Second packet 2 s into RRC_INACTIVE: a resume (promotion), no RRC_IDLE time before it.
        var r = EnergyIntegrator.Run(nr, [new Transmission(0, 29, Direction.Uplink), new Transmission(afterTail + 2 * S, 29, Direction.Uplink)], 0, afterTail + 3 * S);
        Assert.Equal(2, r.Promotions);
        Assert.Equal(2 * S, r.Time(RrcState.Inactive));
        Assert.Equal(0, r.Time(RrcState.Idle));
        // Left alone, the radio spends 5 s in RRC_INACTIVE and then goes to RRC_IDLE.
        var idle = EnergyIntegrator.Run(nr, [new Transmission(0, 29, Direction.Uplink)], 0, afterTail + 7 * S);
        Assert.Equal(5 * S, idle.Time(RrcState.Inactive));
        Assert.Equal(2 * S, idle.Time(RrcState.Idle));
    }

    [Fact]
    public void Transmissions_must_be_sorted()
    {
        Assert.Throws<ArgumentException>(() => EnergyIntegrator.Run(RrcProfiles.Lte(), [new Transmission(5, 1, Direction.Uplink), new Transmission(1, 1, Direction.Uplink)], 0, S));
    }

    [Fact]
    public void Every_model_is_described_with_sourced_parameters()
    {
        foreach (var name in RadioModelCatalog.Names)
        {
            var d = RadioModelCatalog.Describe(name)!;
            Assert.Equal(name, d.Name);
            Assert.NotEmpty(d.Parameters);
            Assert.All(d.Parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Source)));
        }
        Assert.Null(RadioModelCatalog.Describe("radio-wifi"));
    }
}
