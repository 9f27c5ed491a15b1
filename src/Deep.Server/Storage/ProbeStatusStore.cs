using Deepdotnet.Status.V1;

namespace Deep.Server.Storage;

/// <summary>One tracepoint's status on one agent, as stored.</summary>
internal sealed record ProbeStatusRow(
    string AgentId, string Service, string TracepointId, string State, string Detail, string Method,
    long IlOffset, long LineUsed, long FireCount, long SinceNanos, long ReceivedNanos);

/// <summary>
/// What agents report about their tracepoints (the <c>deepdotnet.status.v1</c> extension). Each report is the
/// agent's full set, so it replaces that agent's rows in one transaction. Agents not heard from for
/// <see cref="StaleAfter"/> are left out of answers and then forgotten (they stopped, or lost the server). What is
/// kept is bounded whoever reports: at most <see cref="MaxAgents"/> agents and <see cref="MaxStatuses"/> statuses in
/// all, each text cut to its limit; a report past a limit is refused with <see cref="StatusLimitException"/>.
/// </summary>
internal sealed class ProbeStatusStore
{
    /// <summary>An agent reports every few seconds; one silent for this long is gone.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    /// <summary>The most statuses accepted in one report: one per tracepoint, and a tenant has at most this many.</summary>
    public const int MaxStatusesPerReport = Polling.TracepointRegistry.MaxTracepointsPerTenant;

    /// <summary>The most agents kept at once, over all tenants.</summary>
    public const int MaxAgents = 1_000;

    /// <summary>The most statuses kept at once, over all agents and tenants.</summary>
    public const int MaxStatuses = 100_000;

    /// <summary>The longest agent or tracepoint id accepted (agents send a random id; tracepoint ids are UUIDs).</summary>
    public const int MaxIdLength = 200;

    /// <summary>A detail (why a probe failed or waits) is cut to this many characters.</summary>
    public const int MaxDetailLength = 1_000;

    /// <summary>A method name or a service name is cut to this many characters.</summary>
    public const int MaxNameLength = 500;

    /// <summary>How often agents gone silent are forgotten, at the latest (also whenever a limit is reached).</summary>
    private static readonly long ForgetEveryNanos = TimeSpan.FromMinutes(1).Ticks * 100;

    private readonly DeepDatabase _database;
    private readonly object _gate = new();

    /// <summary>Per (tenant, agent): how many statuses are stored, and when its last report arrived.</summary>
    private readonly Dictionary<(string Tenant, string Agent), (int Statuses, long ReceivedNanos)> _agents = new();
    private int _statuses;
    private long _lastForgetNanos;

    public ProbeStatusStore(DeepDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT tenant, agent_id, COUNT(*), MAX(updated_ns) FROM probe_status GROUP BY tenant, agent_id";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var count = reader.GetInt32(2);
            _agents[(reader.GetString(0), reader.GetString(1))] = (count, reader.GetInt64(3));
            _statuses += count;
        }
    }

    /// <summary>How many agents and statuses are kept now (what the limits bound).</summary>
    public (int Agents, int Statuses) Counts
    {
        get
        {
            lock (_gate) return (_agents.Count, _statuses);
        }
    }

    /// <summary>Replaces everything known from the report's agent with the report.</summary>
    /// <exception cref="StatusLimitException">The report is too large, or would take the store past a limit; nothing changed.</exception>
    public void Replace(string tenant, ProbeStatusReport report, long receivedNanos)
    {
        if (report.AgentId.Length > MaxIdLength)
            throw new StatusLimitException($"the agent_id is {report.AgentId.Length} characters long; at most {MaxIdLength} are accepted");
        if (report.Statuses.Count > MaxStatusesPerReport)
            throw new StatusLimitException($"the status report lists {report.Statuses.Count} tracepoints; the limit is {MaxStatusesPerReport}, the most tracepoints a tenant may have");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var status in report.Statuses)
        {
            if (status.TracepointId.Length > MaxIdLength)
                throw new StatusLimitException($"a tracepoint_id is {status.TracepointId.Length} characters long; at most {MaxIdLength} are accepted");
            ids.Add(status.TracepointId);
        }
        var service = "";
        foreach (var kv in report.Resource)
        {
            if (kv.Key == "service.name" && kv.Value?.ValueCase == Deepproto.Proto.Common.V1.AnyValue.ValueOneofCase.StringValue)
                service = Cut(kv.Value.StringValue, MaxNameLength);
        }

        var key = (tenant, report.AgentId);
        lock (_gate)
        {
            var expired = receivedNanos - StaleAfter.Ticks * 100;
            if (receivedNanos - _lastForgetNanos > ForgetEveryNanos || !Fits(key, ids.Count)) Forget(expired, receivedNanos);
            var known = _agents.TryGetValue(key, out var mine);
            if (!known && _agents.Count >= MaxAgents)
                throw new StatusLimitException($"the server keeps the status of at most {MaxAgents} agents, and that many are reporting; this agent's is not kept until some stop");
            var others = _statuses - (known ? mine.Statuses : 0);
            if (others + ids.Count > MaxStatuses)
                throw new StatusLimitException($"the server keeps at most {MaxStatuses} statuses over all agents, and this report's {ids.Count} would pass that; it is not kept");
            Write(tenant, report, service, receivedNanos);
            _statuses = others + ids.Count;
            _agents[key] = (ids.Count, receivedNanos);
        }
    }

    private bool Fits((string, string) key, int statuses)
    {
        var known = _agents.TryGetValue(key, out var mine);
        return (known || _agents.Count < MaxAgents) && _statuses - (known ? mine.Statuses : 0) + statuses <= MaxStatuses;
    }

    /// <summary>Deletes the agents last heard from before <paramref name="expiredNanos"/>.</summary>
    private void Forget(long expiredNanos, long nowNanos)
    {
        _lastForgetNanos = nowNanos;
        var gone = _agents.Where(a => a.Value.ReceivedNanos < expiredNanos).ToList();
        if (gone.Count == 0) return;
        using (var connection = _database.Open())
        using (var delete = connection.CreateCommand())
        {
            delete.CommandText = "DELETE FROM probe_status WHERE updated_ns < $expired";
            delete.Parameters.AddWithValue("$expired", expiredNanos);
            delete.ExecuteNonQuery();
        }
        foreach (var (key, value) in gone)
        {
            _agents.Remove(key);
            _statuses -= value.Statuses;
        }
    }

    private void Write(string tenant, ProbeStatusReport report, string service, long receivedNanos)
    {
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        using (var delete = connection.CreateCommand())
        {
            delete.Transaction = tx;
            delete.CommandText = "DELETE FROM probe_status WHERE tenant = $tenant AND agent_id = $agent";
            delete.Parameters.AddWithValue("$tenant", tenant);
            delete.Parameters.AddWithValue("$agent", report.AgentId);
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
                detail.Value = Cut(s.Detail, MaxDetailLength);
                method.Value = Cut(s.Method, MaxNameLength);
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

    /// <summary>
    /// Up to <paramref name="limit"/> statuses of agents heard from within <see cref="StaleAfter"/> of
    /// <paramref name="nowNanos"/>, by service, agent and tracepoint id, after <paramref name="after"/>; and where the next page
    /// starts, or null when this is the last.
    /// </summary>
    public (IReadOnlyList<ProbeStatusRow> Rows, StatusCursor? Next) Page(string tenant, string? tracepointId, long nowNanos, StatusCursor? after, int limit)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT agent_id, service_name, tracepoint_id, state, detail, method, il_offset, line_used, fire_count, since_ns, updated_ns
            FROM probe_status
            WHERE tenant = $tenant AND updated_ns >= $fresh AND ($tp IS NULL OR tracepoint_id = $tp)
              AND ($agent IS NULL OR (service_name, agent_id, tracepoint_id) > ($service, $agent, $after_tp))
            ORDER BY service_name, agent_id, tracepoint_id
            LIMIT $limit
            """;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$fresh", nowNanos - StaleAfter.Ticks * 100);
        command.Parameters.AddWithValue("$tp", (object?)tracepointId ?? DBNull.Value);
        command.Parameters.AddWithValue("$service", (object?)after?.Service ?? DBNull.Value);
        command.Parameters.AddWithValue("$agent", (object?)after?.AgentId ?? DBNull.Value);
        command.Parameters.AddWithValue("$after_tp", (object?)after?.TracepointId ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit + 1);
        using var reader = command.ExecuteReader();
        var rows = new List<ProbeStatusRow>();
        while (reader.Read())
        {
            rows.Add(new ProbeStatusRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                reader.GetInt64(9), reader.GetInt64(10)));
        }
        if (rows.Count <= limit) return (rows, null);
        rows.RemoveAt(limit);
        return (rows, new StatusCursor(rows[^1].Service, rows[^1].AgentId, rows[^1].TracepointId));
    }

    /// <summary>Text cut to <paramref name="max"/> characters (an ellipsis marks the cut).</summary>
    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

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

/// <summary>Where a page of <c>/api/status</c> continues: after this status, in the order service, agent, tracepoint id.</summary>
internal sealed record StatusCursor(string Service, string AgentId, string TracepointId)
{
    /// <summary>The cursor as an opaque URL-safe token: each part prefixed by its length.</summary>
    public string Encode() => Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder.Encode(System.Text.Encoding.UTF8.GetBytes(
        string.Concat(new[] { Service, AgentId, TracepointId }.Select(p => p.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + p))));

    /// <summary>The cursor <paramref name="token"/> stands for, or null when it is not one this server gave out.</summary>
    public static StatusCursor? Decode(string token)
    {
        string text;
        try
        {
            text = System.Text.Encoding.UTF8.GetString(Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder.Decode(token));
        }
        catch (FormatException)
        {
            return null;
        }
        var parts = new string[3];
        var at = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            var colon = text.IndexOf(':', at);
            if (colon < 0 || !int.TryParse(text.AsSpan(at, colon - at), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
                || length > text.Length - colon - 1)
                return null;
            parts[i] = text.Substring(colon + 1, length);
            at = colon + 1 + length;
        }
        return at == text.Length ? new StatusCursor(parts[0], parts[1], parts[2]) : null;
    }
}

/// <summary>A status report refused because it is too large or the store is full.</summary>
internal sealed class StatusLimitException(string message) : Exception(message);
