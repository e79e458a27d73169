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

    [Fact]
    public void Radio_rows_are_printed_from_the_values_the_profiles_run_with()
    {
        // One declaration per radio: lab describe's names, the profiles and the rows all come from RrcProfiles.Radios.
        Assert.Equal(["radio-lte", "radio-3g", "radio-nr"], RadioModelCatalog.Names);
        foreach (var r in RrcProfiles.Radios) Assert.Equal(r.Radio, RrcProfiles.For(r.Radio).Name);
        string Default(string model, string key) => RadioModelCatalog.Describe(model)!.Parameters.Single(p => p.Key == key).Default;

        // LTE: promotion 260.1 ms (Huang et al. 2012 Table 3); the tail (inactivity timer + short DRX + long DRX) is 11.576 s.
        var lte = RrcProfiles.Lte();
        Assert.Equal("260.1ms", Default("radio-lte", "promotion-time"));
        Assert.Equal(260_100 * SimTime.Microsecond, lte.Segments[^1].Promotion!.Duration);
        Assert.Equal("11.576s", Default("radio-lte", "tail-time"));
        Assert.Equal(11_576 * SimTime.Millisecond, lte.Segments.Take(3).Sum(s => s.Duration));
        Assert.Equal("6Mbit/s", Default("radio-lte", "uplink-rate"));

        // UMTS: DCH tail 8.088 s, FACH tail 824 ms, RLC thresholds 543 / 475 B (i997.conf).
        var umts = RrcProfiles.Umts();
        Assert.Equal("8.088s", Default("radio-3g", "dch-tail-time"));
        Assert.Equal(8_088 * SimTime.Millisecond, umts.Segments[0].Duration);
        Assert.Equal("824ms", Default("radio-3g", "fach-tail-time"));
        Assert.Equal(824 * SimTime.Millisecond, umts.Segments[1].Duration);
        Assert.Equal("543", Default("radio-3g", "rlc-threshold-up"));

        // NR: 10 s to RRC_INACTIVE, 5 s more to RRC_IDLE (Narayanan et al. artifact).
        var nr = RrcProfiles.Nr();
        Assert.Equal("10s", Default("radio-nr", "tail-time"));
        Assert.Equal(10 * S, nr.Segments.Take(3).Sum(s => s.Duration));
        Assert.Equal("5s", Default("radio-nr", "inactive-time"));
        Assert.Equal(5 * S, nr.Segments[3].Duration);
    }
}
