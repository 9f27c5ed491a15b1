using System.Text;
using Microsoft.Data.Sqlite;

namespace Deep.Server.Storage;

/// <summary>Reads snapshots back: by id, by tracepoint, by search filters; and deletes them for retention.</summary>
internal sealed class SnapshotStore(DeepDatabase database)
{
    public byte[]? Get(string tenant, byte[] id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT data FROM snapshots WHERE tenant = $tenant AND id = $id";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>Full snapshots, newest first (by when they fired, then by arrival).</summary>
    public List<byte[]> List(string tenant, string? tracepointId, int limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT data FROM snapshots WHERE tenant = $tenant");
        if (tracepointId is not null)
        {
            sql.Append(" AND tracepoint_id = $tp");
            command.Parameters.AddWithValue("$tp", tracepointId);
        }
        sql.Append(" ORDER BY ts_nanos DESC, seq DESC LIMIT $limit");
        command.CommandText = sql.ToString();
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var result = new List<byte[]>();
        while (reader.Read()) result.Add((byte[])reader.GetValue(0));
        return result;
    }

    /// <summary>
    /// Search rows, newest first. <paramref name="filter"/> sees each candidate's bytes for tags without a column;
    /// at most <paramref name="scanLimit"/> candidates are looked at so a search stays bounded.
    /// </summary>
    public List<SnapshotSummary> Search(string tenant, string? serviceName, long? startNanos, long? endNanos, int limit,
        Func<byte[], bool>? filter, int scanLimit = 10_000)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder(
            "SELECT id, tracepoint_id, service_name, file_path, line_no, ts_nanos, duration_nanos, data FROM snapshots WHERE tenant = $tenant");
        if (serviceName is not null)
        {
            sql.Append(" AND service_name = $service");
            command.Parameters.AddWithValue("$service", serviceName);
        }
        if (startNanos is { } s)
        {
            sql.Append(" AND ts_nanos >= $start");
            command.Parameters.AddWithValue("$start", s);
        }
        if (endNanos is { } e)
        {
            sql.Append(" AND ts_nanos <= $end");
            command.Parameters.AddWithValue("$end", e);
        }
        sql.Append(" ORDER BY ts_nanos DESC, seq DESC LIMIT $limit");
        command.CommandText = sql.ToString();
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$limit", filter is null ? limit : scanLimit);
        using var reader = command.ExecuteReader();
        var result = new List<SnapshotSummary>();
        while (reader.Read() && result.Count < limit)
        {
            if (filter is not null && !filter((byte[])reader.GetValue(7))) continue;
            result.Add(new SnapshotSummary((byte[])reader.GetValue(0), reader.GetString(1), reader.GetString(2),
                reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6)));
        }
        return result;
    }

    public long Count()
    {
        using var connection = database.Open();
        return (long)DeepDatabase.Scalar(connection, "SELECT COUNT(*) FROM snapshots")!;
    }

    /// <summary>Deletes snapshots that arrived before <paramref name="cutoffNanos"/>; returns how many.</summary>
    public int DeleteReceivedBefore(long cutoffNanos)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM snapshots WHERE received_ns < $cutoff";
        command.Parameters.AddWithValue("$cutoff", cutoffNanos);
        return command.ExecuteNonQuery();
    }

    /// <summary>Keeps the newest <paramref name="keep"/> snapshots (by arrival), deletes the rest; returns how many went.</summary>
    public int DeleteBeyondCount(long keep)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            "DELETE FROM snapshots WHERE seq <= (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT 1 OFFSET $keep)";
        command.Parameters.AddWithValue("$keep", keep);
        return command.ExecuteNonQuery();
    }
}
