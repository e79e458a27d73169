namespace Lab.Netfilter.Conntrack;

/// <summary>enum tcp_conntrack (include/uapi/linux/netfilter/nf_conntrack_tcp.h).</summary>
public enum TcpState : byte
{
    None = 0,
    SynSent = 1,
    SynRecv = 2,
    Established = 3,
    FinWait = 4,
    CloseWait = 5,
    LastAck = 6,
    TimeWait = 7,
    Close = 8,
    SynSent2 = 9,
    /// <summary>TCP_CONNTRACK_MAX: the "invalid" entry (sIV) of the transition table.</summary>
    Invalid = 10,
    /// <summary>TCP_CONNTRACK_IGNORE (sIG).</summary>
    Ignore = 11,
    /// <summary>Timeout slots only: TCP_CONNTRACK_RETRANS and TCP_CONNTRACK_UNACK.</summary>
    Retrans = 12,
    Unack = 13,
}

/// <summary>
/// The TCP state machine of net/netfilter/nf_conntrack_proto_tcp.c (tcp_conntracks[2][6][10] and
/// get_conntrack_index), kernel 6.12. The window tracking (tcp_in_window) is not modelled: every
/// segment is taken as in-window, which is what a well-behaved endpoint pair produces.
/// </summary>
public static class TcpConntrack
{
    // Indices as enum tcp_bit_set: SYN, SYNACK, FIN, ACK, RST, NONE.
    public const int SynSet = 0, SynAckSet = 1, FinSet = 2, AckSet = 3, RstSet = 4, NoneSet = 5;

    const TcpState sNO = TcpState.None, sSS = TcpState.SynSent, sSR = TcpState.SynRecv, sES = TcpState.Established,
        sFW = TcpState.FinWait, sCW = TcpState.CloseWait, sLA = TcpState.LastAck, sTW = TcpState.TimeWait,
        sCL = TcpState.Close, sS2 = TcpState.SynSent2, sIV = TcpState.Invalid, sIG = TcpState.Ignore;

    // [dir][index][old state] -> new state, columns sNO sSS sSR sES sFW sCW sLA sTW sCL sS2.
    static readonly TcpState[] Table =
    [
        // ORIGINAL
        sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2, // syn
        sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR, // synack
        sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV, // fin
        sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV, // ack
        sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, // rst
        sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, // none
        // REPLY
        sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2, // syn
        sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR, // synack
        sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV, // fin
        sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG, // ack
        sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, // rst
        sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, // none
    ];

    /// <summary>get_conntrack_index: RST wins, then SYN (with or without ACK), FIN, ACK.</summary>
    public static int Index(TcpFlags f) =>
        (f & TcpFlags.Rst) != 0 ? RstSet
        : (f & TcpFlags.Syn) != 0 ? ((f & TcpFlags.Ack) != 0 ? SynAckSet : SynSet)
        : (f & TcpFlags.Fin) != 0 ? FinSet
        : (f & TcpFlags.Ack) != 0 ? AckSet
        : NoneSet;

    public static TcpState Next(CtDir dir, int index, TcpState old) => Table[((int)dir * 6 + index) * 10 + (int)old];

    /// <summary>tcp_can_early_drop: closing states may be evicted by the GC early-drop pass even when assured.</summary>
    public static bool CanEarlyDrop(TcpState s) =>
        s is TcpState.FinWait or TcpState.LastAck or TcpState.TimeWait or TcpState.Close or TcpState.CloseWait;
}
