using Deepdotnet.Status.V1;

namespace Deep.Server.Storage;

/// <summary>One tracepoint's status on one agent, as stored.</summary>
internal sealed record ProbeStatusRow(
    string AgentId, string Service, string TracepointId, string State, string Detail, string Method,
    long IlOffset, long LineUsed, long FireCount, long SinceNanos, long ReceivedNanos);

/// <summary>
/// What agents report about their tracepoints (the <c>deepdotnet.status.v1</c> extension). Each report is the
/// agent's full set, so it replaces that agent's rows in one transaction; agents not heard from for
/// <see cref="StaleAfter"/> are left out of answers (they stopped, or lost the server).
/// </summary>
internal sealed class ProbeStatusStore(DeepDatabase database)
{
    /// <summary>An agent reports every few seconds; one silent for this long is gone.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    /// <summary>Rows older than this are deleted when any report arrives, so the table does not grow forever.</summary>
    private static readonly TimeSpan KeepFor = TimeSpan.FromHours(1);

    /// <summary>The most statuses accepted in one report (an agent with more tracepoints is misbehaving).</summary>
    public const int MaxStatusesPerReport = 10_000;

    /// <summary>Replaces everything known from the report's agent with the report.</summary>
    public void Replace(string tenant, ProbeStatusReport report, long receivedNanos)
    {
        var service = "";
        foreach (var kv in report.Resource)
        {
            if (kv.Key == "service.name" && kv.Value?.ValueCase == Deepproto.Proto.Common.V1.AnyValue.ValueOneofCase.StringValue)
                service = kv.Value.StringValue;
        }
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using (var delete = connection.CreateCommand())
        {
            delete.Transaction = tx;
            delete.CommandText = "DELETE FROM probe_status WHERE (tenant = $tenant AND agent_id = $agent) OR updated_ns < $expired";
            delete.Parameters.AddWithValue("$tenant", tenant);
            delete.Parameters.AddWithValue("$agent", report.AgentId);
            delete.Parameters.AddWithValue("$expired", receivedNanos - KeepFor.Ticks * 100);
            delete.ExecuteNonQuery();
        }
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = tx;
            // INSERT OR REPLACE: a tracepoint listed twice in one report keeps its last entry.
            insert.CommandText = """
                INSERT OR REPLACE INTO probe_status
                    (tenant, agent_id, tracepoint_id, state, detail, updated_ns, service_name, method, il_offset, line_used, fire_count, since_ns)
                VALUES ($tenant, $agent, $tp, $state, $detail, $received, $service, $method, $il, $line, $fired, $since)
                """;
            var tp = insert.Parameters.Add("$tp", Microsoft.Data.Sqlite.SqliteType.Text);
            var state = insert.Parameters.Add("$state", Microsoft.Data.Sqlite.SqliteType.Text);
            var detail = insert.Parameters.Add("$detail", Microsoft.Data.Sqlite.SqliteType.Text);
            var method = insert.Parameters.Add("$method", Microsoft.Data.Sqlite.SqliteType.Text);
            var il = insert.Parameters.Add("$il", Microsoft.Data.Sqlite.SqliteType.Integer);
            var line = insert.Parameters.Add("$line", Microsoft.Data.Sqlite.SqliteType.Integer);
            var fired = insert.Parameters.Add("$fired", Microsoft.Data.Sqlite.SqliteType.Integer);
            var since = insert.Parameters.Add("$since", Microsoft.Data.Sqlite.SqliteType.Integer);
            insert.Parameters.AddWithValue("$tenant", tenant);
            insert.Parameters.AddWithValue("$agent", report.AgentId);
            insert.Parameters.AddWithValue("$received", receivedNanos);
            insert.Parameters.AddWithValue("$service", service);
            foreach (var s in report.Statuses)
            {
                tp.Value = s.TracepointId;
                state.Value = StateName(s.State);
                detail.Value = s.Detail;
                method.Value = s.Method;
                il.Value = (long)s.IlOffset;
                line.Value = (long)s.LineUsed;
                // SQLite integers are signed 64-bit; a count past that is clamped rather than wrapped negative.
                fired.Value = (long)Math.Min(s.FireCount, long.MaxValue);
                since.Value = (long)Math.Min(s.UpdatedNanos, long.MaxValue);
                insert.ExecuteNonQuery();
            }
        }
        tx.Commit();
    }

    /// <summary>The statuses of agents heard from within <see cref="StaleAfter"/> of <paramref name="nowNanos"/>, by agent.</summary>
    public IReadOnlyList<ProbeStatusRow> Current(string tenant, string? tracepointId, long nowNanos)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT agent_id, service_name, tracepoint_id, state, detail, method, il_offset, line_used, fire_count, since_ns, updated_ns
            FROM probe_status
            WHERE tenant = $tenant AND updated_ns >= $fresh AND ($tp IS NULL OR tracepoint_id = $tp)
            ORDER BY service_name, agent_id, tracepoint_id
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$fresh", nowNanos - StaleAfter.Ticks * 100);
        command.Parameters.AddWithValue("$tp", (object?)tracepointId ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var rows = new List<ProbeStatusRow>();
        while (reader.Read())
        {
            rows.Add(new ProbeStatusRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                reader.GetInt64(9), reader.GetInt64(10)));
        }
        return rows;
    }

    /// <summary>The state as the API spells it; numbers this server does not know are kept as numbers.</summary>
    public static string StateName(ProbeState state) => state switch
    {
        ProbeState.Pending => "pending",
        ProbeState.Installed => "installed",
        ProbeState.Fired => "fired",
        ProbeState.Error => "error",
        _ => "unknown(" + ((int)state).ToString(System.Globalization.CultureInfo.InvariantCulture) + ")",
    };
}
