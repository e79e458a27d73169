using System.Diagnostics;
using DuckDB.NET.Data;
using Lab.Core;

namespace Lab.Results;

/// <summary>
/// Opens the results store (a DuckDB file) for the lab's commands. DuckDB lets one process at a
/// time hold a file for writing (an fcntl lock), so several <c>lab run</c> at once in one directory
/// would fail on "Could not set lock on file": writers and readers wait instead, with a bounded
/// exponential backoff (20 ms doubling to 1 s, with jitter), and after <see cref="DefaultWait"/> give
/// up with a message naming the store, never a stack trace. Every other DuckDB error on opening
/// (not a DuckDB file, a newer format, no permission) is bad input naming the file.
/// </summary>
public static class StoreConnection
{
    /// <summary>How long a command waits for the store before giving up. Runs hold it for well under a second.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(120);

    /// <summary>Opens <paramref name="path"/> for writing, creating it (and its folder) if needed.</summary>
    public static DuckDBConnection OpenWritable(string path, TimeSpan? wait = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        return OpenWithRetry(path, $"Data Source={path}", wait ?? DefaultWait);
    }

    /// <summary>
    /// Opens an existing store for reading only, with the engine's guards on: access_mode=READ_ONLY
    /// (no DROP, DELETE, INSERT, UPDATE or CREATE on the store), enable_external_access=false (no
    /// file access at all: no COPY TO, EXPORT, ATTACH, INSTALL or LOAD, no read_csv, read_parquet,
    /// read_json, read_text or glob) and lock_configuration=true (no SET or PRAGMA that changes them).
    /// Never creates a file or folder: a missing store is a <see cref="ParameterException"/> about
    /// <paramref name="parameter"/>, the parameter that named the path ("" when none did: the default store).
    /// </summary>
    public static DuckDBConnection OpenReadOnly(string path, string parameter = "db", TimeSpan? wait = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parameter);
        ParameterException Refuse(params object[] parts) =>
            parameter.Length == 0 ? ParameterException.Mentioning(["results store: ", .. parts]) : new ParameterException(parameter, parts);
        if (Directory.Exists(path)) throw Refuse($"{path} is a folder, not a results store (a DuckDB file, default results/lab.duckdb)");
        if (!File.Exists(path))
            throw Refuse($"no results store at {path} (", new CommandName("run"), ", ", new CommandName("sweep"), " and ", new CommandName("bench"), " create it)");
        return OpenWithRetry(path, $"Data Source={path};access_mode=READ_ONLY;enable_external_access=false;lock_configuration=true", wait ?? DefaultWait);
    }

    static DuckDBConnection OpenWithRetry(string path, string connectionString, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var conn = new DuckDBConnection(connectionString);
            try
            {
                conn.Open();
                return conn;
            }
            catch (DuckDBException ex)
            {
                conn.Dispose();
                string first = FirstLine(ex.Message);
                if (!IsLockConflict(ex)) throw new LabInputException($"results store {path}: cannot open it: {first}");
                if (clock.Elapsed >= wait)
                {
                    throw ParameterException.Mentioning(
                        $"results store {path}: still locked by another process after {wait.TotalSeconds:0} s ({first}); " +
                        "wait for it to finish and try again, or set ", new ParameterName("db"), " / LAB_RESULTS_DB to another store");
                }
                var jittered = delay * (0.5 + Random.Shared.NextDouble());
                var left = wait - clock.Elapsed;
                Thread.Sleep(jittered < left ? jittered : left);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            }
        }
    }

    /// <summary>Another process holds the file (DuckDB's message for a failed fcntl lock).</summary>
    public static bool IsLockConflict(DuckDBException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.Message.Contains("Could not set lock on file", StringComparison.Ordinal);
    }

    /// <summary>Two transactions of this process wrote the same rows or catalog entry; the loser may retry.</summary>
    public static bool IsTransactionConflict(DuckDBException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.Message.Contains("conflict", StringComparison.OrdinalIgnoreCase) && ex.Message.Contains("Transaction", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Runs <paramref name="action"/> (one transaction), again after a short pause while it loses a conflict with another writer of this process.</summary>
    public static void RetryOnConflict(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                action();
                return;
            }
            catch (DuckDBException ex) when (IsTransactionConflict(ex) && attempt < 100)
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(Math.Min(200, 2 * attempt) * (0.5 + Random.Shared.NextDouble())));
            }
        }
    }

    public static string FirstLine(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        int nl = message.IndexOf('\n', StringComparison.Ordinal);
        return (nl < 0 ? message : message[..nl]).Trim();
    }
}
