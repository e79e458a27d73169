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
    /// <summary>The profile of <paramref name="radio"/> (a <see cref="RadioDeclaration.Radio"/> of <see cref="Radios"/>).</summary>
    public static RrcProfile For(string radio) =>
        Radios.FirstOrDefault(r => r.Radio == radio)?.Profile()
        ?? throw new ParameterException("radio", $"expected {string.Join(", ", Radios.SkipLast(1).Select(r => r.Radio))} or {Radios[^1].Radio}, found '{radio}'");

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
    public const double LteIdleMw = 0;

    public static RrcProfile Lte()
    {
        var promotion = new RrcPromotion(RrcState.Promotion, LtePromotion, LtePromotionMw);
        long longDrx = LteTail - LteDrxInactivity - LteShortDrxPeriod;
        return new RrcProfile("lte", "LTE (Huang et al., MobiSys 2012)",
        [
            new RrcSegment(RrcState.ContinuousReceptionTail, LteDrxInactivity, PowerPattern.Constant(LteBetaMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.ShortDrx, LteShortDrxPeriod, PowerPattern.Periodic(LteShortDrxCycle, LteDrxOn, LteDrxOnMw, LteTailBaseMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.LongDrx, longDrx, PowerPattern.Periodic(LteLongDrxCycle, LteDrxOn, LteDrxOnMw, LteTailBaseMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.Idle, RrcSegment.UntilTraffic, PowerPattern.Periodic(LteIdlePagingCycle, LteIdlePagingOn, LteIdlePagingMw, LteIdleMw), ArrivalAction.Promote, promotion),
        ], InitialSegment: 3, new DataPowerModel(LteAlphaUp, LteAlphaDown, LteBetaMw, LteUplinkBps, LteDownlinkBps));
    }

    // The rows lab describe radio-* shows: each default is printed from the constant the profile runs with.

    public static IReadOnlyList<ParameterSpec> LteParameters { get; } =
    [
        Time("promotion-time", LtePromotion, "> 0", "[R] Huang et al. 2012 Table 3 (Tpro); Video Optimizer lte.conf T_PROMOTION=0.26 s [S]", "RRC_IDLE to RRC_CONNECTED promotion delay"),
        Power("promotion-power", LtePromotionMw, "[R] Huang et al. 2012 Table 3; lte.conf P_PROMOTION=1.21 W [S]", "power during promotion"),
        Time("tail-time", LteTail, "> drx-inactivity-timer + short-drx-time", "[R] Huang et al. 2012 Table 3 (Ttail); lte.conf models 0.1 + 0.02 + 10 s = 10.12 s instead", "last packet to RRC_IDLE (RRC inactivity timer)"),
        Power("tail-base-power", LteTailBaseMw, "[R] Huang et al. 2012 Table 3 'tail base'; lte.conf P_TAIL=1.06 W is the power between DRX on-durations (ProfileFactoryImpl.energyLTE adds the on-durations on top) [S]", "power between DRX on-durations in the tail"),
        Power("drx-on-power", LteDrxOnMw, "[R] Huang et al. 2012 Table 3; lte.conf P_SHORT_DRX_PING=P_LONG_DRX_PING=1.68 W [S]", "power during a DRX on-duration"),
        Time("drx-on-duration", LteDrxOn, "<= cycle", "[R] Huang et al. 2012 Table 3 (Ton about 1 ms); lte.conf T_DRX_PING=0.002 s differs", "DRX on-duration"),
        Time("drx-inactivity-timer", LteDrxInactivity, ">= 0", "[S] lte.conf INACTIVITY_TIMER=0.1 s; Huang's Ti not re-checked", "continuous reception after the last packet before DRX"),
        Power("continuous-reception-power", LteBetaMw, "[R] = beta of Huang et al. 2012 Table 4 (power in RRC_CONNECTED with no data); ARO's CR tail also uses beta", "power during the DRX inactivity timer"),
        Time("short-drx-cycle", LteShortDrxCycle, "> 0", "[R] Huang et al. 2012 Table 3 (Tps); lte.conf T_SHORT_DRX_PING_PERIOD=0.02 s [S]", "short DRX cycle"),
        Time("short-drx-time", LteShortDrxPeriod, ">= 0", "[S] lte.conf T_SHORT_DRX=0.02 s (one short cycle); Huang's Tis not re-checked", "time in short DRX before long DRX"),
        Time("long-drx-cycle", LteLongDrxCycle, "> 0", "[R] Huang et al. 2012 Table 3 (Tpl); lte.conf T_LONG_DRX_PING_PERIOD=0.04 s [S]", "long DRX cycle"),
        Power("idle-paging-power", LteIdlePagingMw, "[R] Huang et al. 2012 Table 3; lte.conf P_IDLE_PING=0.594 W [S]", "power during an RRC_IDLE paging occasion"),
        Time("idle-paging-on", LteIdlePagingOn, "<= cycle", "[R] Huang et al. 2012 Table 3; lte.conf T_IDLE_PING=0.043 s [S]", "paging occasion length"),
        Time("idle-paging-cycle", LteIdlePagingCycle, "> 0", "[R] Huang et al. 2012 Table 3 (Tpi); lte.conf T_IDLE_PING_PERIOD=1.28 s [S]", "paging cycle"),
        Power("idle-power", LteIdleMw, "[S] lte.conf P_IDLE=0.0: radio energy only, the phone's base power is excluded", "power between paging occasions", range: "0"),
        Coefficient("alpha-up", LteAlphaUp, "[R] Huang et al. 2012 Table 4; lte.conf LTE_ALPHA_UP=438.39 [S]", "uplink throughput coefficient"),
        Coefficient("alpha-down", LteAlphaDown, "[R] Huang et al. 2012 Table 4; lte.conf LTE_ALPHA_DOWN=51.97 [S]", "downlink throughput coefficient"),
        Power("beta", LteBetaMw, "[R] Huang et al. 2012 Table 4; lte.conf LTE_BETA=1.2 W differs", "connected power with no throughput"),
        Rate("uplink-rate", LteUplinkBps, "[S] Huang et al. 2012 abstract: median LTE uplink 6 Mbit/s (4GTest)", "rate a transmission is sent at"),
        Rate("downlink-rate", LteDownlinkBps, "[S] Huang et al. 2012 abstract: median LTE downlink 13 Mbit/s", "rate a transmission is received at"),
    ];

    // ---- UMTS (3G): IDLE, CELL_FACH, CELL_DCH. Promotion and tails from Huang et al. 2012 Table 3;
    // FACH behaviour (RLC thresholds, FACH->DCH promotion) from Video Optimizer's i997.conf (Samsung i997
    // profile), because Huang 2012 gives no FACH->DCH promotion.
    public static readonly long UmtsPromotion = 582 * SimTime.Millisecond;
    public const double UmtsPromotionMw = 659.0;
    public static readonly long UmtsDchTail = 8_088 * SimTime.Millisecond;
    public const double UmtsDchTailMw = 804.0;
    public static readonly long UmtsFachTail = 824 * SimTime.Millisecond;
    public const double UmtsFachTailMw = 601.0;
    public static readonly long UmtsFachToDchPromotion = 1_500 * SimTime.Millisecond;
    public const double UmtsFachToDchPromotionMw = 800.0;
    public const int UmtsRlcThresholdUp = 543;
    public const int UmtsRlcThresholdDown = 475;
    public const double UmtsIdleMw = 0;
    public const double UmtsAlphaUp = 868.98;
    public const double UmtsAlphaDown = 122.12;
    public const double UmtsBetaMw = 817.88;
    public const double UmtsUplinkBps = 1e6;
    public const double UmtsDownlinkBps = 2e6;

    public static RrcProfile Umts()
    {
        var idleToDch = new RrcPromotion(RrcState.Promotion, UmtsPromotion, UmtsPromotionMw);
        var fachToDch = new RrcPromotion(RrcState.FachToDchPromotion, UmtsFachToDchPromotion, UmtsFachToDchPromotionMw);
        return new RrcProfile("3g", "UMTS 3G (Huang et al., MobiSys 2012; Video Optimizer i997.conf)",
        [
            new RrcSegment(RrcState.DchTail, UmtsDchTail, PowerPattern.Constant(UmtsDchTailMw), ArrivalAction.ResumeConnected),
            new RrcSegment(RrcState.FachTail, UmtsFachTail, PowerPattern.Constant(UmtsFachTailMw), ArrivalAction.StayIfSmallElsePromote, fachToDch, UmtsRlcThresholdUp, UmtsRlcThresholdDown),
            new RrcSegment(RrcState.Idle, RrcSegment.UntilTraffic, PowerPattern.Constant(UmtsIdleMw), ArrivalAction.Promote, idleToDch),
        ], InitialSegment: 2, new DataPowerModel(UmtsAlphaUp, UmtsAlphaDown, UmtsBetaMw, UmtsUplinkBps, UmtsDownlinkBps));
    }

    public static IReadOnlyList<ParameterSpec> UmtsParameters { get; } =
    [
        Time("promotion-time", UmtsPromotion, "> 0", "[R] Huang et al. 2012 Table 3 (3G promotion); Video Optimizer docs and i997.conf IDLE_DCH_PROMO_AVG=2.0 s differ", "IDLE to CELL_DCH promotion"),
        Power("promotion-power", UmtsPromotionMw, "[R] Huang et al. 2012 Table 3; i997.conf POWER_IDLE_DCH=0.65 W [S]", "power during promotion"),
        Time("dch-tail-time", UmtsDchTail, ">= 0", "[R] Huang et al. 2012 Table 3 (DCH tail); i997.conf DCH_FACH_TIMER=4 s differs", "CELL_DCH inactivity timer"),
        Power("dch-tail-power", UmtsDchTailMw, "[R] Huang et al. 2012 Table 3 (DCH tail base)", "power in the DCH tail"),
        Time("fach-tail-time", UmtsFachTail, ">= 0", "[R] Huang et al. 2012 Table 3 (FACH tail); i997.conf FACH_IDLE_TIMER=10 s differs", "CELL_FACH inactivity timer"),
        Power("fach-tail-power", UmtsFachTailMw, "[R] Huang et al. 2012 Table 3 (FACH tail base)", "power in CELL_FACH"),
        Time("fach-dch-promotion-time", UmtsFachToDchPromotion, "> 0", "[S] Video Optimizer i997.conf FACH_DCH_PROMO_AVG=1.5 (device profile, not a paper value)", "CELL_FACH to CELL_DCH promotion"),
        Power("fach-dch-promotion-power", UmtsFachToDchPromotionMw, "[S] i997.conf POWER_FACH_DCH=0.80 W", "power during FACH to DCH promotion"),
        Bytes("rlc-threshold-up", UmtsRlcThresholdUp, "[S] i997.conf RLC_UL_TH=543", "largest uplink packet sent in CELL_FACH without promotion"),
        Bytes("rlc-threshold-down", UmtsRlcThresholdDown, "[S] i997.conf RLC_DL_TH=475", "largest downlink packet received in CELL_FACH without promotion"),
        Power("idle-power", UmtsIdleMw, "[A] Huang 2012 lists no 3G paging power; i997.conf POWER_IDLE=0", "IDLE power (radio only)", range: "0"),
        Coefficient("alpha-up", UmtsAlphaUp, "[R] Huang et al. 2012 Table 4 (3G row), recalled, not re-checked against the paper text", "uplink throughput coefficient"),
        Coefficient("alpha-down", UmtsAlphaDown, "[R] Huang et al. 2012 Table 4 (3G row), not re-checked against the paper text", "downlink throughput coefficient"),
        Power("beta", UmtsBetaMw, "[R] Huang et al. 2012 Table 4 (3G row), not re-checked against the paper text", "DCH power with no throughput"),
        Rate("uplink-rate", UmtsUplinkBps, "[A] assumption", "rate a transmission is sent at"),
        Rate("downlink-rate", UmtsDownlinkBps, "[A] assumption", "rate a transmission is received at"),
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
        Time("tail-time", NrTail, "> 0", "[R] Narayanan et al. SIGCOMM 2021 artifact RRC-Probe (T-Mobile SA low-band: RTT step at 10.0 s idle gap); paper Table 2 not re-checked", "last packet to RRC_INACTIVE"),
        Time("inactive-time", NrInactive, ">= 0", "[R] same artifact, Figure 10 script: RRC_INACTIVE from ~10 s to 15 s; not re-checked against the paper text", "RRC_INACTIVE to RRC_IDLE"),
        Time("promotion-time", LtePromotion, "> 0", "[A] LTE value reused (Huang 2012); NR setup and resume delays not verified", "RRC_IDLE to RRC_CONNECTED"),
        Time("resume-time", LtePromotion, "> 0", "[A] LTE value reused; RRC resume should be faster than setup (TS 38.331 section 5.3.13) but no measured figure was verified", "RRC_INACTIVE to RRC_CONNECTED"),
        Power("promotion-power", LtePromotionMw, "[A] LTE value reused", "power during setup or resume"),
        Power("tail-base-power", LteTailBaseMw, "[A] LTE value reused; Xu et al. SIGCOMM 2020 abstract reports 5G power 2-3x 4G under load (NSA), not a tail figure", "power between DRX on-durations"),
        Power("drx-on-power", LteDrxOnMw, "[A] LTE value reused", "DRX on-duration power"),
        new("drx-cycles", "duration", $"{SimTime.Format(LteShortDrxCycle)}/{SimTime.Format(LteLongDrxCycle)}", "> 0", "[A] LTE values reused", "short and long DRX cycles"),
        new("paging", "mW/duration/duration", $"{Inv(LteIdlePagingMw)}/{SimTime.Format(LteIdlePagingOn)}/{SimTime.Format(LteIdlePagingCycle)}", ">= 0",
            "[A] LTE values reused for RRC_IDLE and RRC_INACTIVE paging (TS 38.304 section 7.1)", "paging occasion power, length, cycle"),
        new("alpha-up/alpha-down/beta", "mW", $"{Inv(LteAlphaUp)}/{Inv(LteAlphaDown)}/{Inv(LteBetaMw)}", ">= 0", "[A] LTE values reused", "data power model"),
    ];

    static ParameterSpec Time(string key, long ps, string range, string source, string description) => new(key, "duration", SimTime.Format(ps), range, source, description);

    static ParameterSpec Power(string key, double mw, string source, string description, string range = ">= 0") => new(key, "mW", Inv(mw), range, source, description);

    static ParameterSpec Coefficient(string key, double mwPerMbps, string source, string description) => new(key, "mW/(Mbit/s)", Inv(mwPerMbps), ">= 0", source, description);

    static ParameterSpec Rate(string key, double bps, string source, string description) => new(key, "bit/s", Parameter.FormatRate(bps), "> 0", source, description);

    static ParameterSpec Bytes(string key, int bytes, string source, string description) => new(key, "B", Inv(bytes), ">= 0", source, description);

    static string Inv(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    static readonly string[] CommonNotes =
    [
        "Radio energy only: the phone's base power (screen off, CPU idle) is excluded; idle power between paging occasions is 0.",
        "Energy is integrated exactly over piecewise-constant power (no sampling, no averaging); DRX and paging cycles are aligned to the moment their state is entered, as in Huang et al.'s model and Video Optimizer (the spec aligns them to the SFN: at most one on-duration of error per entry).",
        "Source tags: [S] read in the source, [R] paper value not re-checked against the paper's text, [A] assumption.",
    ];

    /// <summary>
    /// The radios, declared once: <see cref="For"/>, <c>lab describe radio-*</c> (<see cref="RadioModelCatalog"/>)
    /// and the names the error for an unknown radio lists all come from here.
    /// </summary>
    public static IReadOnlyList<RadioDeclaration> Radios { get; } =
    [
        new("lte", Lte,
            "LTE RRC state machine: promotion, continuous reception, short and long DRX tail, RRC_IDLE with paging; throughput power model",
            "none (radio firmware); Huang et al. MobiSys 2012 Figure 3 and Tables 3-4; AT&T Video Optimizer ProfileFactoryImpl.energyLTE",
            LteParameters,
            [.. CommonNotes, "The tail base power (1060 mW) is the level between DRX on-durations; the on-durations (1680 mW) come on top, so an isolated keepalive costs about 12.79 J, not the 12.59 J that 1.06 W x 11.576 s gives."]),
        new("3g", Umts,
            "UMTS RRC state machine: IDLE, CELL_FACH, CELL_DCH with promotions and tails; small packets stay on FACH",
            "none (radio firmware); Huang et al. MobiSys 2012 Table 3; Video Optimizer i997.conf",
            UmtsParameters, CommonNotes),
        new("nr", Nr,
            "5G NR SA RRC state machine with RRC_INACTIVE: connected tail with DRX, RRC_INACTIVE, RRC_IDLE",
            "none (radio firmware); TS 38.331 section 4.2.1; timers from Narayanan et al. SIGCOMM 2021 artifact",
            NrParameters,
            [.. CommonNotes, "Every NR power is an LTE placeholder [A]: Narayanan et al.'s Table 2 could not be read from here."]),
    ];

    public static ModelDescription Describe(string radio) =>
        Radios.FirstOrDefault(r => r.Radio == radio)?.Describe() ?? throw new LabInputException($"unknown radio '{radio}'");
}

/// <summary>One radio's RRC machine: its name (<c>--radio</c> value), profile, and what <c>lab describe radio-NAME</c> shows.</summary>
public sealed record RadioDeclaration(string Radio, Func<RrcProfile> Profile, string Summary, string KernelCounterpart,
    IReadOnlyList<ParameterSpec> Parameters, IReadOnlyList<string> Notes)
{
    /// <summary>The model's name for lab describe: radio-lte, radio-3g, radio-nr.</summary>
    public string Name => "radio-" + Radio;

    public ModelDescription Describe() => new(Name, Summary, KernelCounterpart, Parameters, Notes);
}
