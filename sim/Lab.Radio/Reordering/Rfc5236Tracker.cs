namespace Lab.Radio.Reordering;

/// <summary>
/// RFC 5236 (Improved Packet Reordering Metrics, June 2008), evaluated online as packets arrive:
/// Reorder Density with the section 7.1 algorithm (Stay-back Method: a FIFO window of the next DT+1
/// arrivals decides whether the receive index RI still has a packet coming; if none, RI skips it as
/// lost, section 6) and Reorder Buffer-occupancy Density with the section 7.2 algorithm (expected packet
/// E, buffer occupancy B, threshold BT). The results reproduce the RFC's worked examples (section 3.3
/// Example 3, section 4 Examples 4 and 5, section 8 Tables 1 to 8; see ReorderingMetricsTests).
/// <para>One deliberate difference from the section 7.2 pseudo-code: when the buffer is full (B = BT),
/// E is declared lost and the in-order run after it released, the pseudo-code forgets the arriving
/// packet S if S lies beyond that run. Section 3.8 defines B as the out-of-order packets held
/// "including the newly arrived packet", so S is kept in the buffer here. None of the RFC's examples
/// reaches that case.</para>
/// <para>Memory and time per packet are bounded by DT and BT, whatever the length of the stream; nothing
/// is allocated after construction. Minimum and next-larger searches run over hash sets; their results
/// do not depend on the sets' iteration order.</para>
/// </summary>
public sealed class Rfc5236Tracker
{
    readonly int _dt;
    readonly int _bt;

    // RD (section 7.1).
    readonly long[] _window;
    int _windowHead, _windowCount;
    readonly Dictionary<long, bool> _held; // sequence number -> true when in buffer[], false when in window[]
    bool _windowFilled;
    long _ri;
    readonly long[] _fd;

    // RBD (section 7.2).
    readonly HashSet<long> _rbdBuffer;
    long _e;
    int _b;
    readonly long[] _fb;

    public Rfc5236Tracker(int displacementThreshold, int bufferThreshold, long firstExpected)
    {
        if (displacementThreshold < 0) throw new ArgumentOutOfRangeException(nameof(displacementThreshold), "DT must be >= 0");
        if (bufferThreshold < 0) throw new ArgumentOutOfRangeException(nameof(bufferThreshold), "BT must be >= 0");
        _dt = displacementThreshold;
        _bt = bufferThreshold;
        _window = new long[displacementThreshold + 1];
        _held = new Dictionary<long, bool>(2 * displacementThreshold + 2);
        _fd = new long[2 * displacementThreshold + 1];
        _rbdBuffer = new HashSet<long>(bufferThreshold + 1);
        _fb = new long[bufferThreshold + 1];
        _ri = firstExpected;
        _e = firstExpected;
    }

    /// <summary>Arrivals the RD algorithm did not take (get_next_arrival: duplicates, and packets older than RI).</summary>
    public long RdDiscarded { get; private set; }

    /// <summary>Packets whose displacement exceeded DT ("Discard S" in section 7.1): counted as lost.</summary>
    public long BeyondThreshold { get; private set; }

    /// <summary>Receive-index values skipped because no packet with that sequence number came within DT (section 6).</summary>
    public long LostSequenceNumbers { get; private set; }

    /// <summary>Arrivals RBD discarded as duplicates or excessively delayed (section 7.2 case a).</summary>
    public long RbdDiscarded { get; private set; }

    public int DisplacementThreshold => _dt;
    public int BufferThreshold => _bt;

    public void Add(long s)
    {
        AddRd(s);
        AddRbd(s);
    }

    /// <summary>The end of the stream: the RD window drains (get_next_arrival returns null).</summary>
    public void Finish()
    {
        while (_windowCount > 0) Step();
    }

    public Rfc5236Result Result() => new(_dt, _bt, (long[])_fd.Clone(), (long[])_fb.Clone(), RdDiscarded, LostSequenceNumbers, BeyondThreshold, RbdDiscarded);

    /// <summary>Adds this tracker's frequencies and counters into running totals of the same DT and BT.</summary>
    public void AccumulateInto(long[] fd, long[] fb, ref long rdDiscarded, ref long lost, ref long beyond, ref long rbdDiscarded)
    {
        for (int i = 0; i < _fd.Length; i++) fd[i] += _fd[i];
        for (int i = 0; i < _fb.Length; i++) fb[i] += _fb[i];
        rdDiscarded += RdDiscarded;
        lost += LostSequenceNumbers;
        beyond += BeyondThreshold;
        rbdDiscarded += RbdDiscarded;
    }

    void AddRd(long s)
    {
        if (!_windowFilled)
        {
            // Step 1: the first DT+1 unique sequence numbers, in arriving order.
            if (_held.ContainsKey(s)) { RdDiscarded++; return; }
            Push(s);
            if (_windowCount == _dt + 1)
            {
                _windowFilled = true;
                Step();
            }
            return;
        }
        // get_next_arrival: skip duplicates and anything older than RI.
        if (s < _ri || _held.ContainsKey(s)) { RdDiscarded++; return; }
        Push(s);
        Step();
    }

    void Push(long s)
    {
        _window[(_windowHead + _windowCount) % _window.Length] = s;
        _windowCount++;
        _held[s] = false;
    }

    /// <summary>Step 2 until one packet leaves the window.</summary>
    void Step()
    {
        while (true)
        {
            if (_held.ContainsKey(_ri))
            {
                ConsumeHead();
                return;
            }
            // RI not found: the next RI is the minimum of window and buffer if RI is below it, else RI + 1;
            // repeating RI + 1 until a held number is reached is the same as jumping to the next held one.
            long next = long.MaxValue, min = long.MaxValue;
            foreach (var key in _held.Keys)
            {
                if (key < min) min = key;
                if (key > _ri && key < next) next = key;
            }
            long target = _ri < min ? min : next;
            if (target == long.MaxValue)
            {
                // Everything held is older than RI (only possible when the first expected number was set
                // above some of the first arrivals): the head is late, and is judged against RI as it is.
                ConsumeHead();
                return;
            }
            LostSequenceNumbers += target - _ri;
            _ri = target;
        }
    }

    void ConsumeHead()
    {
        long s = _window[_windowHead];
        _windowHead = (_windowHead + 1) % _window.Length;
        _windowCount--;
        _held.Remove(s);
        long d = _ri - s;
        if (Math.Abs(d) > _dt)
        {
            BeyondThreshold++;
            return;
        }
        _fd[d + _dt]++;
        if (_held.TryGetValue(_ri, out bool inBuffer) && inBuffer) _held.Remove(_ri);
        if (d < 0) _held[s] = true; // an early arrival waits in buffer[] for its RI
        _ri++;
    }

    void AddRbd(long s)
    {
        if (_rbdBuffer.Contains(s) || s < _e)
        {
            RbdDiscarded++; // case a: duplicate or excessively delayed
            return;
        }
        if (s == _e)
        {
            // case b: the expected packet; release the in-order run held after it.
            _e++;
            while (_rbdBuffer.Remove(_e))
            {
                _b--;
                _e++;
            }
        }
        else if (_b < _bt)
        {
            _rbdBuffer.Add(s); // case c: early, stored
            _b++;
        }
        else
        {
            // case c with a full buffer: E is lost. Skip to the first held number or S, then release the run.
            long min = s;
            foreach (long h in _rbdBuffer) if (h < min) min = h;
            _e = min;
            while (_rbdBuffer.Contains(_e) || _e == s)
            {
                if (_e != s)
                {
                    _rbdBuffer.Remove(_e);
                    _b--;
                }
                _e++;
            }
            if (s > _e)
            {
                _rbdBuffer.Add(s);
                _b++;
            }
        }
        _fb[_b]++;
    }
}
