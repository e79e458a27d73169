using DuckDB.NET.Data;

namespace Lab.Results;

/// <summary>One stage of one calibration (lab calibrate), as the results store keeps it.</summary>
/// <param name="Ns">Busy ns per packet (or per rule, lookup, byte); null when not measured.</param>
public sealed record CalibrationRow(string Stage, double? Ns, double? Ci95Low, double? Ci95High, double? SoftirqNs, int N, string? NotMeasured);

/// <summary>Who and what a calibration measured.</summary>
public sealed record CalibrationRun(DateTimeOffset Measured, string Machine, string KernelRelease, string Where, bool Emulated,
    string LabCommit, long Packets, int Repeat, int FrameBytes, string? ProfilePath);

public sealed partial class ResultsStore
{
    /// <summary>Records a calibration, one row per stage in table <c>calibrations</c>; returns its id.</summary>
    public string RecordCalibration(CalibrationRun run, IReadOnlyList<CalibrationRow> stages)
    {
        Execute("""
            CREATE TABLE IF NOT EXISTS calibrations (
              calibration_id VARCHAR, measured TIMESTAMP, machine VARCHAR, kernel_release VARCHAR, kernel_where VARCHAR,
              emulated BOOLEAN, lab_commit VARCHAR, packets BIGINT, repeat INTEGER, frame_bytes INTEGER, profile VARCHAR,
              stage VARCHAR, ns DOUBLE, ci95_low DOUBLE, ci95_high DOUBLE, softirq_ns DOUBLE, n INTEGER, not_measured VARCHAR);
            """);
        string id = $"calibration-{run.Measured.UtcDateTime:yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        using var tx = _conn.BeginTransaction();
        foreach (var s in stages)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = "INSERT INTO calibrations VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
            object?[] values = [id, run.Measured.UtcDateTime, run.Machine, run.KernelRelease, run.Where, run.Emulated, run.LabCommit,
                run.Packets, run.Repeat, run.FrameBytes, run.ProfilePath, s.Stage, s.Ns, s.Ci95Low, s.Ci95High, s.SoftirqNs, s.N, s.NotMeasured];
            foreach (var v in values) cmd.Parameters.Add(new DuckDBParameter(v ?? DBNull.Value));
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return id;
    }
}
