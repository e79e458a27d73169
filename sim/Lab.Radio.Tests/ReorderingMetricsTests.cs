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

    [Fact]
    public void Rfc5236_reorder_density_and_buffer_occupancy()
    {
        // Arrivals 1 2 4 5 3 6, no loss: RI = 1..6, D = RI - s = 0 0 -1 -1 +2 0:
        // FD[-1] = 2, FD[0] = 3, FD[2] = 1 of 6. Reorder buffer after each arrival: 0 0 1 2 0 0.
        var r = Rfc5236Metrics.Analyze([1, 2, 4, 5, 3, 6], displacementThreshold: 3);
        Assert.Equal(2.0 / 6, r.ReorderDensity(-1), 12);
        Assert.Equal(3.0 / 6, r.ReorderDensity(0), 12);
        Assert.Equal(1.0 / 6, r.ReorderDensity(2), 12);
        Assert.Equal(0, r.ReorderDensity(1));
        Assert.Equal(4.0 / 6, r.BufferOccupancyDensity(0), 12);
        Assert.Equal(1.0 / 6, r.BufferOccupancyDensity(1), 12);
        Assert.Equal(1.0 / 6, r.BufferOccupancyDensity(2), 12);
    }

    [Fact]
    public void Rfc5236_loss_alone_displaces_nothing()
    {
        // 3 never arrives: the receive index skips its value, so 4 5 6 get RI 4 5 6 and D = 0.
        var r = Rfc5236Metrics.Analyze([1, 2, 4, 5, 6], displacementThreshold: 3);
        Assert.Equal(1.0, r.ReorderDensity(0), 12);
        Assert.Equal(1, r.Lost);
        Assert.Equal(1.0, r.BufferOccupancyDensity(0), 12);
    }

    [Fact]
    public void Rfc5236_threshold_turns_a_very_late_packet_into_a_loss()
    {
        // 2 3 4 5 6 1: with DT = 5, 1 is displaced by RI 6 - 1 = 5 and the others by -1:
        // FD[-1] = 5, FD[5] = 1; the buffer holds 1..5 packets while waiting for 1.
        var wide = Rfc5236Metrics.Analyze([2, 3, 4, 5, 6, 1], displacementThreshold: 5, firstExpected: 1);
        Assert.Equal(5, wide.FrequencyOfDisplacement(-1));
        Assert.Equal(1, wide.FrequencyOfDisplacement(5));
        for (int b = 0; b <= 5; b++) Assert.Equal(1.0 / 6, wide.BufferOccupancyDensity(b), 12);
        // With DT = 3, 1 is beyond the threshold: lost; the receive index skips 1, so 2..6 are in place.
        var narrow = Rfc5236Metrics.Analyze([2, 3, 4, 5, 6, 1], displacementThreshold: 3, firstExpected: 1);
        Assert.Equal(5, narrow.FrequencyOfDisplacement(0));
        Assert.Equal(1, narrow.BeyondThreshold);
        Assert.Equal(1, narrow.Lost);
        Assert.Equal(1.0, narrow.BufferOccupancyDensity(0), 12);
    }
}
