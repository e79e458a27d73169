namespace Lab.Esp.IpTfs;

/// <summary>
/// TCP-friendly rate control as RFC 9347 section 2.4.2 and appendix B ask for it: RFC 5348's
/// throughput equation (section 3.1, b = 1, t_RTO = 4R) in packets per second of the fixed outer size.
/// </summary>
public static class Tfrc
{
    /// <summary>X = 1 / (R (sqrt(2p/3) + 12 sqrt(3p/8) p (1 + 32 p^2))), packets/s (RFC 9347 appendix B).</summary>
    public static double PacketsPerSecond(double p, double rttSeconds)
    {
        if (p <= 0) return double.PositiveInfinity;
        double f = Math.Sqrt(2 * p / 3) + 12 * Math.Sqrt(3 * p / 8) * p * (1 + 32 * p * p);
        return 1 / (rttSeconds * f);
    }

    /// <summary>RFC 5348 section 4.2: W_init = min(4 s, max(2 s, 4380 B)), as packets of <paramref name="packetBytes"/>.</summary>
    public static double InitialWindowPackets(int packetBytes) =>
        Math.Min(4.0 * packetBytes, Math.Max(2.0 * packetBytes, 4380)) / packetBytes;

    /// <summary>t_mbi: the longest time between packets under persistent loss (RFC 5348 section 4.3), 64 s.</summary>
    public const double MaxBackoffSeconds = 64;
}

/// <summary>
/// The receiver's loss-event history of RFC 5348 section 5, in outer sequence numbers: losses whose
/// send time lies within one RTT of the start of the current loss event belong to it (5.2); the
/// intervals between loss-event starts are averaged with weights 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2,
/// counting the open interval only when it raises the mean (5.4). Simplification: the send time of a
/// lost packet is its true one (the ledger has it) where section 5.2 interpolates it, and the first
/// interval is the number of packets before the first loss (section 6.3.1 would derive it from the
/// receive rate).
/// </summary>
public sealed class LossEventHistory
{
    static readonly double[] Weights = [1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2];
    readonly long[] _closed = new long[8];
    int _closedCount;
    long _eventStartSeq = -1, _eventStartSentAt, _firstSeq = -1, _highestSeq;

    /// <summary>Loss events so far.</summary>
    public long Events { get; private set; }

    /// <summary>An outer packet arrived (or was processed) in sequence: extends the open interval.</summary>
    public void Seen(long seq)
    {
        if (_firstSeq < 0) _firstSeq = seq;
        if (seq > _highestSeq) _highestSeq = seq;
    }

    /// <summary>Outer packet <paramref name="seq"/> (sent at <paramref name="sentAt"/> ps) is lost; <paramref name="rtt"/> in ps (0 = unknown).</summary>
    public void Lost(long seq, long sentAt, long rtt)
    {
        if (_firstSeq < 0) _firstSeq = seq;
        if (seq > _highestSeq) _highestSeq = seq;
        if (_eventStartSeq >= 0 && sentAt <= _eventStartSentAt + rtt) return;
        long interval = _eventStartSeq >= 0 ? seq - _eventStartSeq : Math.Max(1, seq - _firstSeq);
        Array.Copy(_closed, 0, _closed, 1, _closed.Length - 1);
        _closed[0] = interval;
        _closedCount = Math.Min(_closedCount + 1, _closed.Length);
        _eventStartSeq = seq;
        _eventStartSentAt = sentAt;
        Events++;
    }

    /// <summary>The mean loss interval I_mean (1/p), or 0 before the first loss.</summary>
    public double MeanInterval()
    {
        if (_closedCount == 0) return 0;
        long open = _highestSeq - _eventStartSeq + 1;
        double tot0 = 0, tot1 = 0, wTot = 0;
        for (int i = 0; i < _closedCount; i++)
        {
            double iI = i == 0 ? open : _closed[i - 1];
            tot0 += iI * Weights[i];
            tot1 += _closed[i] * Weights[i];
            wTot += Weights[i];
        }
        return Math.Max(tot0, tot1) / wTot;
    }

    /// <summary>The LossEventRate header field: the inverse of the loss event rate, 0 for no loss (RFC 9347 section 6.1.2).</summary>
    public uint LossEventRateField()
    {
        double m = MeanInterval();
        return m <= 0 ? 0 : (uint)Math.Clamp(Math.Round(m), 1, uint.MaxValue);
    }
}
