using Lab.Core;
using Lab.Models;

namespace Lab.Radio.Power;

/// <summary>
/// The default RRC machines. Source tags: [S] solid (read in the source: a tool's shipped
/// configuration, a paper's abstract), [R] a paper value not re-checked against the paper's text
/// (the paper was not readable from here), [A] an assumption with no measured source.
/// </summary>
public static class RrcProfiles
{
    public static RrcProfile For(string radio) => radio switch
    {
        "lte" => Lte(),
        "3g" => Umts(),
        "nr" => Nr(),
        _ => throw new ParameterException("radio", $"expected lte, 3g or nr, found '{radio}'"),
    };

    // ---- LTE: Huang et al., "A Close Examination of Performance and Power Characteristics of 4G LTE
    // Networks", MobiSys 2012, Table 3 (power states) and Table 4 (data power). AT&T Video Optimizer
    // (attdevsupport/VideoOptimizer, ARO.Core/src/main/resources/lte.conf and ProfileFactoryImpl.energyLTE)
    // implements the same model with rounded values; differences are noted per parameter.
    public const double LtePromotionMw = 1210.7;
    public static readonly long LtePromotion = 260_100 * SimTime.Microsecond;
    public static readonly long LteTail = 11_576 * SimTime.Millisecond;
    public const double LteTailBaseMw = 1060.0;
    public const double LteDrxOnMw = 1680.0;
    public static readonly long LteDrxOn = 1 * SimTime.Millisecond;
    public static readonly long LteShortDrxCycle = 20 * SimTime.Millisecond;
    public static readonly long LteShortDrxPeriod = 20 * SimTime.Millisecond;
    public static readonly long LteLongDrxCycle = 40 * SimTime.Millisecond;
    public static readonly long LteDrxInactivity = 100 * SimTime.Millisecond;
    public const double LteIdlePagingMw = 594.3;
    public static readonly long LteIdlePagingOn = 43_200 * SimTime.Microsecond;
    public static readonly long LteIdlePagingCycle = 1_280 * SimTime.Millisecond;
    public const double LteAlphaUp = 438.39;
    public const double LteAlphaDown = 51.97;
    public const double LteBetaMw = 1288.04;
    public const double LteUplinkBps = 6e6;
    public const double LteDownlinkBps = 13e6;

    public static RrcProfile Lte()
    {
        var promotion = new RrcPromotion(RrcState.Promotion, LtePromotion, LtePromotionMw);
        long longDrx = LteTail - LteDrxInactivity - LteShortDrxPeriod;
        return new RrcProfile("lte", "LTE (Huang et al., MobiSys 2012)",
        [
            new RrcSegment(RrcState.ContinuousReceptionTail, LteDrxInactivity, PowerPattern.Constant(LteBetaMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.ShortDrx, LteShortDrxPeriod, PowerPattern.Periodic(LteShortDrxCycle, LteDrxOn, LteDrxOnMw, LteTailBaseMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.LongDrx, longDrx, PowerPattern.Periodic(LteLongDrxCycle, LteDrxOn, LteDrxOnMw, LteTailBaseMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.Idle, RrcSegment.UntilTraffic, PowerPattern.Periodic(LteIdlePagingCycle, LteIdlePagingOn, LteIdlePagingMw, 0), ArrivalAction.Promote, promotion),
        ], InitialSegment: 3, new DataPowerModel(LteAlphaUp, LteAlphaDown, LteBetaMw, LteUplinkBps, LteDownlinkBps));
    }

    public static IReadOnlyList<ParameterSpec> LteParameters { get; } =
    [
        new("promotion-time", "ms", "260.1", "> 0", "[R] Huang et al. 2012 Table 3 (Tpro); Video Optimizer lte.conf T_PROMOTION=0.26 s [S]", "RRC_IDLE to RRC_CONNECTED promotion delay"),
        new("promotion-power", "mW", "1210.7", ">= 0", "[R] Huang et al. 2012 Table 3; lte.conf P_PROMOTION=1.21 W [S]", "power during promotion"),
        new("tail-time", "s", "11.576", "> drx-inactivity-timer + short-drx-time", "[R] Huang et al. 2012 Table 3 (Ttail); lte.conf models 0.1 + 0.02 + 10 s = 10.12 s instead", "last packet to RRC_IDLE (RRC inactivity timer)"),
        new("tail-base-power", "mW", "1060.0", ">= 0", "[R] Huang et al. 2012 Table 3 'tail base'; lte.conf P_TAIL=1.06 W is the power between DRX on-durations (ProfileFactoryImpl.energyLTE adds the on-durations on top) [S]", "power between DRX on-durations in the tail"),
        new("drx-on-power", "mW", "1680", ">= 0", "[R] Huang et al. 2012 Table 3; lte.conf P_SHORT_DRX_PING=P_LONG_DRX_PING=1.68 W [S]", "power during a DRX on-duration"),
        new("drx-on-duration", "ms", "1", "<= cycle", "[R] Huang et al. 2012 Table 3 (Ton about 1 ms); lte.conf T_DRX_PING=0.002 s differs", "DRX on-duration"),
        new("drx-inactivity-timer", "ms", "100", ">= 0", "[S] lte.conf INACTIVITY_TIMER=0.1 s; Huang's Ti not re-checked", "continuous reception after the last packet before DRX"),
        new("continuous-reception-power", "mW", "1288.04", ">= 0", "[R] = beta of Huang et al. 2012 Table 4 (power in RRC_CONNECTED with no data); ARO's CR tail also uses beta", "power during the DRX inactivity timer"),
        new("short-drx-cycle", "ms", "20", "> 0", "[R] Huang et al. 2012 Table 3 (Tps); lte.conf T_SHORT_DRX_PING_PERIOD=0.02 s [S]", "short DRX cycle"),
        new("short-drx-time", "ms", "20", ">= 0", "[S] lte.conf T_SHORT_DRX=0.02 s (one short cycle); Huang's Tis not re-checked", "time in short DRX before long DRX"),
        new("long-drx-cycle", "ms", "40", "> 0", "[R] Huang et al. 2012 Table 3 (Tpl); lte.conf T_LONG_DRX_PING_PERIOD=0.04 s [S]", "long DRX cycle"),
        new("idle-paging-power", "mW", "594.3", ">= 0", "[R] Huang et al. 2012 Table 3; lte.conf P_IDLE_PING=0.594 W [S]", "power during an RRC_IDLE paging occasion"),
        new("idle-paging-on", "ms", "43.2", "<= cycle", "[R] Huang et al. 2012 Table 3; lte.conf T_IDLE_PING=0.043 s [S]", "paging occasion length"),
        new("idle-paging-cycle", "s", "1.28", "> 0", "[R] Huang et al. 2012 Table 3 (Tpi); lte.conf T_IDLE_PING_PERIOD=1.28 s [S]", "paging cycle"),
        new("idle-power", "mW", "0", "0", "[S] lte.conf P_IDLE=0.0: radio energy only, the phone's base power is excluded", "power between paging occasions"),
        new("alpha-up", "mW/(Mbit/s)", "438.39", ">= 0", "[R] Huang et al. 2012 Table 4; lte.conf LTE_ALPHA_UP=438.39 [S]", "uplink throughput coefficient"),
        new("alpha-down", "mW/(Mbit/s)", "51.97", ">= 0", "[R] Huang et al. 2012 Table 4; lte.conf LTE_ALPHA_DOWN=51.97 [S]", "downlink throughput coefficient"),
        new("beta", "mW", "1288.04", ">= 0", "[R] Huang et al. 2012 Table 4; lte.conf LTE_BETA=1.2 W differs", "connected power with no throughput"),
        new("uplink-rate", "bit/s", "6Mbit/s", "> 0", "[S] Huang et al. 2012 abstract: median LTE uplink 6 Mbit/s (4GTest)", "rate a transmission is sent at"),
        new("downlink-rate", "bit/s", "13Mbit/s", "> 0", "[S] Huang et al. 2012 abstract: median LTE downlink 13 Mbit/s", "rate a transmission is received at"),
    ];

    // ---- UMTS (3G): IDLE, CELL_FACH, CELL_DCH. Promotion and tails from Huang et al. 2012 Table 3;
    // FACH behaviour (RLC thresholds, FACH->DCH promotion) from Video Optimizer's i997.conf (Samsung i997
    // profile), because Huang 2012 gives no FACH->DCH promotion.
    public static RrcProfile Umts()
    {
        var idleToDch = new RrcPromotion(RrcState.Promotion, 582 * SimTime.Millisecond, 659.0);
        var fachToDch = new RrcPromotion(RrcState.FachToDchPromotion, 1_500 * SimTime.Millisecond, 800.0);
        return new RrcProfile("3g", "UMTS 3G (Huang et al., MobiSys 2012; Video Optimizer i997.conf)",
        [
            new RrcSegment(RrcState.DchTail, 8_088 * SimTime.Millisecond, PowerPattern.Constant(804.0), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.FachTail, 824 * SimTime.Millisecond, PowerPattern.Constant(601.0), ArrivalAction.StayIfSmallElsePromote, fachToDch, 543, 475),
            new RrcSegment(RrcState.Idle, RrcSegment.UntilTraffic, PowerPattern.Constant(0), ArrivalAction.Promote, idleToDch),
        ], InitialSegment: 2, new DataPowerModel(868.98, 122.12, 817.88, 1e6, 2e6));
    }

    public static IReadOnlyList<ParameterSpec> UmtsParameters { get; } =
    [
        new("promotion-time", "ms", "582", "> 0", "[R] Huang et al. 2012 Table 3 (3G promotion); Video Optimizer docs and i997.conf IDLE_DCH_PROMO_AVG=2.0 s differ", "IDLE to CELL_DCH promotion"),
        new("promotion-power", "mW", "659", ">= 0", "[R] Huang et al. 2012 Table 3; i997.conf POWER_IDLE_DCH=0.65 W [S]", "power during promotion"),
        new("dch-tail-time", "s", "8.088", ">= 0", "[R] Huang et al. 2012 Table 3 (DCH tail); i997.conf DCH_FACH_TIMER=4 s differs", "CELL_DCH inactivity timer"),
        new("dch-tail-power", "mW", "804", ">= 0", "[R] Huang et al. 2012 Table 3 (DCH tail base)", "power in the DCH tail"),
        new("fach-tail-time", "ms", "824", ">= 0", "[R] Huang et al. 2012 Table 3 (FACH tail); i997.conf FACH_IDLE_TIMER=10 s differs", "CELL_FACH inactivity timer"),
        new("fach-tail-power", "mW", "601", ">= 0", "[R] Huang et al. 2012 Table 3 (FACH tail base)", "power in CELL_FACH"),
        new("fach-dch-promotion-time", "s", "1.5", "> 0", "[S] Video Optimizer i997.conf FACH_DCH_PROMO_AVG=1.5 (device profile, not a paper value)", "CELL_FACH to CELL_DCH promotion"),
        new("fach-dch-promotion-power", "mW", "800", ">= 0", "[S] i997.conf POWER_FACH_DCH=0.80 W", "power during FACH to DCH promotion"),
        new("rlc-threshold-up", "B", "543", ">= 0", "[S] i997.conf RLC_UL_TH=543", "largest uplink packet sent in CELL_FACH without promotion"),
        new("rlc-threshold-down", "B", "475", ">= 0", "[S] i997.conf RLC_DL_TH=475", "largest downlink packet received in CELL_FACH without promotion"),
        new("idle-power", "mW", "0", "0", "[A] Huang 2012 lists no 3G paging power; i997.conf POWER_IDLE=0", "IDLE power (radio only)"),
        new("alpha-up", "mW/(Mbit/s)", "868.98", ">= 0", "[R] Huang et al. 2012 Table 4 (3G row), recalled, not re-checked against the paper text", "uplink throughput coefficient"),
        new("alpha-down", "mW/(Mbit/s)", "122.12", ">= 0", "[R] Huang et al. 2012 Table 4 (3G row), not re-checked against the paper text", "downlink throughput coefficient"),
        new("beta", "mW", "817.88", ">= 0", "[R] Huang et al. 2012 Table 4 (3G row), not re-checked against the paper text", "DCH power with no throughput"),
        new("uplink-rate", "bit/s", "1Mbit/s", "> 0", "[A] assumption", "rate a transmission is sent at"),
        new("downlink-rate", "bit/s", "2Mbit/s", "> 0", "[A] assumption", "rate a transmission is received at"),
    ];

    // ---- NR standalone with RRC_INACTIVE. Timers from the SIGCOMM'21 artifact of Narayanan et al.,
    // "A Variegated Look at 5G in the Wild" (github SIGCOMM21-5G/artifact, RRC-Probe): the T-Mobile SA
    // low-band probe RTTs (T-mobile-SA.txt) jump at an idle gap of 10.0 s, and the Figure 10 script
    // draws RRC_CONNECTED up to ~10 s, RRC_INACTIVE to 15 s, RRC_IDLE after. The paper's Table 2 (the
    // power of each state) could not be read from here, so every NR power is an assumption that reuses
    // the LTE value; set them from a measurement before trusting NR energy numbers.
    public static readonly long NrTail = 10 * SimTime.Second;
    public static readonly long NrInactive = 5 * SimTime.Second;

    public static RrcProfile Nr()
    {
        var setup = new RrcPromotion(RrcState.Promotion, LtePromotion, LtePromotionMw);
        var resume = new RrcPromotion(RrcState.Promotion, LtePromotion, LtePromotionMw);
        long longDrx = NrTail - LteDrxInactivity - LteShortDrxPeriod;
        var paging = PowerPattern.Periodic(LteIdlePagingCycle, LteIdlePagingOn, LteIdlePagingMw, 0);
        return new RrcProfile("nr", "5G NR SA with RRC_INACTIVE (timers: Narayanan et al. SIGCOMM 2021 artifact; powers: LTE placeholders)",
        [
            new RrcSegment(RrcState.ContinuousReceptionTail, LteDrxInactivity, PowerPattern.Constant(LteBetaMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.ShortDrx, LteShortDrxPeriod, PowerPattern.Periodic(LteShortDrxCycle, LteDrxOn, LteDrxOnMw, LteTailBaseMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.LongDrx, longDrx, PowerPattern.Periodic(LteLongDrxCycle, LteDrxOn, LteDrxOnMw, LteTailBaseMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.Inactive, NrInactive, paging, ArrivalAction.Promote, resume),
            new RrcSegment(RrcState.Idle, RrcSegment.UntilTraffic, paging, ArrivalAction.Promote, setup),
        ], InitialSegment: 4, new DataPowerModel(LteAlphaUp, LteAlphaDown, LteBetaMw, LteUplinkBps, LteDownlinkBps));
    }

    public static IReadOnlyList<ParameterSpec> NrParameters { get; } =
    [
        new("tail-time", "s", "10", "> 0", "[R] Narayanan et al. SIGCOMM 2021 artifact RRC-Probe (T-Mobile SA low-band: RTT step at 10.0 s idle gap); paper Table 2 not re-checked", "last packet to RRC_INACTIVE"),
        new("inactive-time", "s", "5", ">= 0", "[R] same artifact, Figure 10 script: RRC_INACTIVE from ~10 s to 15 s; not re-checked against the paper text", "RRC_INACTIVE to RRC_IDLE"),
        new("promotion-time", "ms", "260.1", "> 0", "[A] LTE value reused (Huang 2012); NR setup and resume delays not verified", "RRC_IDLE to RRC_CONNECTED"),
        new("resume-time", "ms", "260.1", "> 0", "[A] LTE value reused; RRC resume should be faster than setup (TS 38.331 section 5.3.13) but no measured figure was verified", "RRC_INACTIVE to RRC_CONNECTED"),
        new("promotion-power", "mW", "1210.7", ">= 0", "[A] LTE value reused", "power during setup or resume"),
        new("tail-base-power", "mW", "1060", ">= 0", "[A] LTE value reused; Xu et al. SIGCOMM 2020 abstract reports 5G power 2-3x 4G under load (NSA), not a tail figure", "power between DRX on-durations"),
        new("drx-on-power", "mW", "1680", ">= 0", "[A] LTE value reused", "DRX on-duration power"),
        new("drx-cycles", "ms", "20/40", "> 0", "[A] LTE values reused", "short and long DRX cycles"),
        new("paging", "mW/ms/s", "594.3/43.2/1.28", ">= 0", "[A] LTE values reused for RRC_IDLE and RRC_INACTIVE paging (TS 38.304 section 7.1)", "paging occasion power, length, cycle"),
        new("alpha-up/alpha-down/beta", "mW", "438.39/51.97/1288.04", ">= 0", "[A] LTE values reused", "data power model"),
    ];

    static readonly string[] CommonNotes =
    [
        "Radio energy only: the phone's base power (screen off, CPU idle) is excluded; idle power between paging occasions is 0.",
        "Energy is integrated exactly over piecewise-constant power (no sampling, no averaging); DRX and paging cycles are aligned to the moment their state is entered, as in Huang et al.'s model and Video Optimizer (the spec aligns them to the SFN: at most one on-duration of error per entry).",
        "Source tags: [S] read in the source, [R] paper value not re-checked against the paper's text, [A] assumption.",
    ];

    public static ModelDescription Describe(string radio) => radio switch
    {
        "lte" => new ModelDescription("radio-lte",
            "LTE RRC state machine: promotion, continuous reception, short and long DRX tail, RRC_IDLE with paging; throughput power model",
            "none (radio firmware); Huang et al. MobiSys 2012 Figure 3 and Tables 3-4; AT&T Video Optimizer ProfileFactoryImpl.energyLTE",
            LteParameters,
            [.. CommonNotes, "The tail base power (1060 mW) is the level between DRX on-durations; the on-durations (1680 mW) come on top, so an isolated keepalive costs about 12.79 J, not the 12.59 J that 1.06 W x 11.576 s gives."]),
        "3g" => new ModelDescription("radio-3g",
            "UMTS RRC state machine: IDLE, CELL_FACH, CELL_DCH with promotions and tails; small packets stay on FACH",
            "none (radio firmware); Huang et al. MobiSys 2012 Table 3; Video Optimizer i997.conf",
            UmtsParameters, CommonNotes),
        "nr" => new ModelDescription("radio-nr",
            "5G NR SA RRC state machine with RRC_INACTIVE: connected tail with DRX, RRC_INACTIVE, RRC_IDLE",
            "none (radio firmware); TS 38.331 section 4.2.1; timers from Narayanan et al. SIGCOMM 2021 artifact",
            NrParameters,
            [.. CommonNotes, "Every NR power is an LTE placeholder [A]: Narayanan et al.'s Table 2 could not be read from here."]),
        _ => throw new LabInputException($"unknown radio '{radio}'"),
    };
}
