using CsCheck;
using Lab.Radio.Reordering;

namespace Lab.Radio.Tests;

public class ReorderingMetricsTests
{
    [Fact]
    public void Rfc4737_one_late_packet()
    {
        // Arrivals 1 2 4 5 3 6. NextExp: 1->2, 2->3, 4->5, 5->6; 3 < 6 is reordered; 6 >= 6.
        // Extent of 3 (section 4.2.1): received at position 5, the earliest packet with a larger
        // number (4) at position 3: e = 2. n-reordering (section 5): 5 and 4 precede it and are
        // larger, 2 is not: 3 is 1- and 2-reordered, not 3-reordered.
        var r = Rfc4737Metrics.Analyze([1, 2, 4, 5, 3, 6]);
        Assert.Equal(6, r.Received);
        Assert.Equal(1, r.Reordered);
        Assert.Equal(1.0 / 6, r.ReorderedRatio, 12);
        Assert.Equal([0, 0, 0, 0, 2, 0], r.Extent);
        Assert.Equal(2, r.MaxExtent);
        Assert.Equal(1.0 / 6, r.NReorderingRatio(2), 12);
        Assert.Equal(0, r.NReorderingRatio(3));
    }

    [Fact]
    public void Rfc4737_extent_counts_positions_back_to_the_first_larger_packet()
    {
        // 4 arrives last: position 8; first larger is 5 at position 4: e = 4; 4 larger packets
        // (5 6 7 8) precede it: 4-reordered.
        var r = Rfc4737Metrics.Analyze([1, 2, 3, 5, 6, 7, 8, 4]);
        Assert.Equal(4, r.Extent[7]);
        Assert.Equal(4, r.NReorderingDegree[7]);
        // 3 1 2: both 1 and 2 are reordered; 1 has extent 1, 2 has extent 2 (first larger is 3 at
        // position 1). 1 is 1-reordered (3 precedes it); 2 is not n-reordered for any n, because the
        // packet just before it (1) is smaller: section 5 needs all n preceding packets to be larger.
        var s = Rfc4737Metrics.Analyze([3, 1, 2], firstExpected: 1);
        Assert.Equal(2, s.Reordered);
        Assert.Equal([0, 1, 2], s.Extent);
        Assert.Equal([0, 1, 0], s.NReorderingDegree);
    }

    [Fact]
    public void Rfc4737_ignores_loss_and_duplicates()
    {
        var lossy = Rfc4737Metrics.Analyze([1, 2, 4, 5]);
        Assert.Equal(0, lossy.Reordered);
        var dup = Rfc4737Metrics.Analyze([1, 2, 2, 3]);
        Assert.Equal(3, dup.Received);
        Assert.Equal(1, dup.Duplicates);
        Assert.Equal(0, dup.Reordered);
    }

    // RFC 5236 tests use the RFC's own examples (text of RFC 5236, June 2008: sections 3.3, 4 and 8).

    [Fact]
    public void Rfc5236_section_3_3_example_3_loss_and_duplicate()
    {
        // Arrived 1 4 3 5 3 8 7 6; 2 is lost, the second 3 is a duplicate: RI 1 3 4 5 - 6 7 8,
        // D = 0 -1 1 0 - -2 0 2.
        var r = Rfc5236Metrics.Analyze([1, 4, 3, 5, 3, 8, 7, 6], displacementThreshold: 2);
        Assert.Equal([1, 1, 3, 1, 1], r.DisplacementFrequency);
        Assert.Equal(7, r.Accepted);
        Assert.Equal(1, r.LostSequenceNumbers);
        Assert.Equal(1, r.RdDiscarded);
    }

    [Fact]
    public void Rfc5236_section_4_examples_4_and_5()
    {
        // Example 4: 1 2 3 5 4 6, D = 0 0 0 -1 1 0; R = {(4,1), (5,-1)}.
        var e4 = Rfc5236Metrics.Analyze([1, 2, 3, 5, 4, 6], displacementThreshold: 2);
        Assert.Equal([0, 1, 4, 1, 0], e4.DisplacementFrequency);
        // Example 5: 1 2 5 3 6 2, 4 lost and 2 duplicated: RI 1 2 3 5 6 -, D = 0 0 -2 2 0; R = {(3,2), (5,-2)}.
        var e5 = Rfc5236Metrics.Analyze([1, 2, 5, 3, 6, 2], displacementThreshold: 2);
        Assert.Equal([1, 0, 3, 0, 1], e5.DisplacementFrequency);
        Assert.Equal(1, e5.LostSequenceNumbers);
        Assert.Equal(1, e5.RdDiscarded);
    }

    [Fact]
    public void Rfc5236_section_8a_no_loss_tables_1_to_4()
    {
        // (1, 4, 2, 5, 3, 6, 7, 8), DT = BT = 4. Table 2: FD[-2..2] = 1 1 4 1 1, RD 0.125 0.125 0.5 0.125 0.125.
        // Table 4: FB[0..2] = 5 2 1, RBD 0.625 0.25 0.125.
        var r = Rfc5236Metrics.Analyze([1, 4, 2, 5, 3, 6, 7, 8], displacementThreshold: 4);
        Assert.Equal([0, 0, 1, 1, 4, 1, 1, 0, 0], r.DisplacementFrequency);
        Assert.Equal(0.125, r.ReorderDensity(-2), 12);
        Assert.Equal(0.5, r.ReorderDensity(0), 12);
        Assert.Equal([5, 2, 1, 0, 0], r.BufferOccupancyFrequency);
        Assert.Equal(0.625, r.BufferOccupancyDensity(0), 12);
        Assert.Equal(0.25, r.BufferOccupancyDensity(1), 12);
        Assert.Equal(0.125, r.BufferOccupancyDensity(2), 12);
        // Section 9: mean occupancy = 0 x 0.625 + 1 x 0.25 + 2 x 0.125 = 0.5.
        Assert.Equal(0.5, r.MeanBufferOccupancy, 12);
    }

    [Fact]
    public void Rfc5236_section_8b_loss_tables_5_and_6()
    {
        // (1, 2, 4, 5, 6, 7), DT = BT = 3: RD[0] = 1 (RI skips 3). RBD is not orthogonal to loss: the buffer
        // holds 4, 5, 6 until it reaches BT, then 3 is declared lost (Table 6: B = 0 0 1 2 3 0).
        var r = Rfc5236Metrics.Analyze([1, 2, 4, 5, 6, 7], displacementThreshold: 3);
        Assert.Equal(1.0, r.ReorderDensity(0), 12);
        Assert.Equal(1, r.LostSequenceNumbers);
        Assert.Equal([3, 1, 1, 1], r.BufferOccupancyFrequency);
        Assert.Equal(0.5, r.BufferOccupancyDensity(0), 12);
        Assert.Equal(1.0 / 6, r.BufferOccupancyDensity(3), 12);
    }

    [Fact]
    public void Rfc5236_section_8c_duplicates_tables_7_and_8()
    {
        // (1, 3, 2, 3, 4, 5), DT = 2: RD[-1] = 0.2, RD[0] = 0.6, RD[1] = 0.2; RBD[0] = 0.8, RBD[1] = 0.2.
        var r = Rfc5236Metrics.Analyze([1, 3, 2, 3, 4, 5], displacementThreshold: 2);
        Assert.Equal(0.2, r.ReorderDensity(-1), 12);
        Assert.Equal(0.6, r.ReorderDensity(0), 12);
        Assert.Equal(0.2, r.ReorderDensity(1), 12);
        Assert.Equal(0.8, r.BufferOccupancyDensity(0), 12);
        Assert.Equal(0.2, r.BufferOccupancyDensity(1), 12);
        Assert.Equal(1, r.RdDiscarded);
        Assert.Equal(1, r.RbdDiscarded);
    }

    [Fact]
    public void Rfc5236_threshold_decides_between_late_and_lost()
    {
        // 2 3 4 5 6 1 from 1. DT = 3: the window [2 3 4 5] does not hold RI = 1, so 1 is lost and RI moves
        // to 2; when 1 arrives it is older than RI and is discarded.
        var narrow = Rfc5236Metrics.Analyze([2, 3, 4, 5, 6, 1], displacementThreshold: 3, firstExpected: 1);
        Assert.Equal(5, narrow.FrequencyOfDisplacement(0));
        Assert.Equal(1, narrow.LostSequenceNumbers);
        Assert.Equal(1, narrow.RdDiscarded);
        // DT = 5: the window holds all six; 2..6 take RI 1..5 (D = -1) and 1 takes RI 6 (D = +5).
        // RBD with BT = 5: the buffer fills 1..5 while waiting for 1, then empties.
        var wide = Rfc5236Metrics.Analyze([2, 3, 4, 5, 6, 1], displacementThreshold: 5, firstExpected: 1);
        Assert.Equal(5, wide.FrequencyOfDisplacement(-1));
        Assert.Equal(1, wide.FrequencyOfDisplacement(5));
        Assert.Equal([1, 1, 1, 1, 1, 1], wide.BufferOccupancyFrequency);
        Assert.Equal(5, wide.MaxDisplacement);
    }

    [Fact]
    public void Rfc5236_full_buffer_keeps_the_packet_that_arrived()
    {
        // BT = 2. 1 (E = 2, B = 0); 3 (B = 1); 4 (B = 2 = BT); 7: full, so E = 2 is lost, 3 and 4 are released
        // and E = 5; 7 is still early and stays in the buffer (section 3.8: the occupancy includes the newly
        // arrived packet; the section 7.2 pseudo-code would forget it), B = 1. 5 (E = 6, B = 1); 6 (E = 8, B = 0).
        var r = Rfc5236Metrics.Analyze([1, 3, 4, 7, 5, 6], displacementThreshold: 2, bufferThreshold: 2, firstExpected: 1);
        Assert.Equal([2, 3, 1], r.BufferOccupancyFrequency);
    }

    [Fact]
    public void Rfc4737_tracker_matches_the_whole_sequence_analysis()
    {
        // Random streams 1..n with local swaps, drops and duplicates; the online tracker and the offline
        // analysis must agree on every count and on the extent and n-reordering statistics.
        var gen = Gen.Int[0, 3].Array[1, 300];
        gen.Sample(ops =>
        {
            var s = new List<long>();
            for (int i = 0; i < ops.Length; i++) s.Add(i + 1);
            for (int i = 0; i < ops.Length; i++)
            {
                int j = Math.Min(s.Count - 1, i + ops[i] * 3);
                (s[i], s[j]) = (s[j], s[i]);
            }
            for (int i = ops.Length - 1; i >= 0; i--)
            {
                if (ops[i] == 1 && i % 5 == 0) s.RemoveAt(i);
                else if (ops[i] == 2 && i % 7 == 0) s.Insert(i, s[Math.Max(0, i - 2)]);
            }
            var batch = Rfc4737Metrics.Analyze(s.ToArray(), firstExpected: 1);
            var t = new Rfc4737Tracker(1, 1024); // a horizon beyond the stream: nothing is clipped
            foreach (long v in s) t.Add(v);
            Assert.Equal(batch.Received, t.Received);
            Assert.Equal(batch.Duplicates, t.Duplicates);
            Assert.Equal(batch.Reordered, t.Reordered);
            Assert.Equal(batch.MaxExtent, t.MaxExtent);
            Assert.Equal(batch.MeanExtent, t.MeanExtent, 12);
            Assert.Equal(batch.NReorderingRatio(1), t.NReorderingRatio(1), 12);
            Assert.Equal(batch.NReorderingRatio(3), t.NReorderingRatio(3), 12);
        });
    }

    [Fact]
    public void Rfc4737_tracker_sequence_distance_and_late_time_offset()
    {
        // Arrivals (seq@time): 1@0 2@10 4@20 5@30 3@40 6@50. 3 arrives with top 5: distance 2, so a replay
        // window of 3 is the smallest that accepts it. Its first larger packet (4) arrived at 20: late time
        // offset (RFC 4737 section 4.3) = 40 - 20 = 20.
        var t = new Rfc4737Tracker(1, 64);
        long[] seq = [1, 2, 4, 5, 3, 6];
        for (int i = 0; i < seq.Length; i++) t.Add(seq[i], i * 10);
        Assert.Equal(2, t.MaxSequenceDistance);
        Assert.Equal(20, t.MaxLateTimeOffset);
        Assert.Equal(2, t.MaxExtent);
    }
}
