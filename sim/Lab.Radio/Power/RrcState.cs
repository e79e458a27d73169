namespace Lab.Radio.Power;

/// <summary>
/// The radio states the energy integrator accounts time and energy to. One enum serves the LTE,
/// UMTS (3G) and NR machines; each profile uses a subset. Names follow the 3GPP RRC states
/// (TS 36.331, TS 25.331, TS 38.331) and the sub-states of Huang et al., MobiSys 2012, Figure 3.
/// </summary>
public enum RrcState
{
    /// <summary>RRC_IDLE (LTE, NR) or IDLE (UMTS): paging occasions only.</summary>
    Idle,
    /// <summary>NR RRC_INACTIVE (TS 38.331 section 4.2.1): context kept, RAN paging only.</summary>
    Inactive,
    /// <summary>IDLE/INACTIVE to connected promotion (RRC connection setup or resume).</summary>
    Promotion,
    /// <summary>UMTS CELL_FACH to CELL_DCH promotion.</summary>
    FachToDchPromotion,
    /// <summary>Transmitting or receiving data (LTE/NR RRC_CONNECTED, UMTS CELL_DCH).</summary>
    Connected,
    /// <summary>RRC_CONNECTED continuous reception after data until the DRX inactivity timer expires.</summary>
    ContinuousReceptionTail,
    /// <summary>RRC_CONNECTED short DRX cycles.</summary>
    ShortDrx,
    /// <summary>RRC_CONNECTED long DRX cycles until the RRC inactivity (tail) timer expires.</summary>
    LongDrx,
    /// <summary>UMTS CELL_DCH after data, until the DCH inactivity timer expires.</summary>
    DchTail,
    /// <summary>UMTS CELL_FACH until the FACH inactivity timer expires.</summary>
    FachTail,
}

/// <summary>Direction of a transmission as seen from the phone.</summary>
public enum Direction
{
    Uplink,
    Downlink,
}

/// <summary>One packet on the radio: when it is handed to the radio, its size on the air (IP packet bytes), direction.</summary>
public readonly record struct Transmission(long Time, int Bytes, Direction Direction);
