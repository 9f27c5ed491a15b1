using System.Globalization;
using System.Text;
using System.Text.Json;
using Deep.Server.Storage;
using Deepproto.Proto.Tracepoint.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Deep.Server.Api;

/// <summary>
/// The exceptions Exception Replay reported (docs/exception-replay.md): ordinary snapshots whose tracepoint id is
/// <c>exception-&lt;fingerprint&gt;</c>, grouped by fingerprint for the web UI and <c>deep exception</c>.
/// <c>GET /api/exceptions</c> lists one row per fingerprint, newest first; <c>GET /api/exceptions/{fingerprint}</c>
/// returns its snapshots (newest first).
/// </summary>
internal sealed class ExceptionsApi(DeepDatabase database)
{
    /// <summary>The tracepoint id prefix of Exception Replay snapshots (the agent's <c>ReplaySnapshot</c>).</summary>
    public const string TracepointPrefix = "exception-";

    /// <summary>At most this many snapshots are read to group (newest first), so the listing stays bounded.</summary>
    public const int ScanLimit = 5000;

    private const int MaxLimit = 1000;

    public void Map(WebApplication app)
    {
        app.MapGet("/api/exceptions", List);
        app.MapGet("/api/exceptions/{fingerprint}", Show);
    }

    private Task List(HttpContext context)
    {
        var limitText = context.Request.Query["limit"].ToString();
        var limit = 100;
        if (limitText.Length > 0 && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
            return HttpApi.Error(context, 400, $"limit '{limitText}' must be a whole number from 1 to {MaxLimit}");
        var groups = new List<Group>();
        var byFingerprint = new Dictionary<string, Group>(StringComparer.Ordinal);
        foreach (var data in Read(Tenant(context), null, ScanLimit))
        {
            var snapshot = Snapshot.Parser.ParseFrom(data);
            var fingerprint = Attribute(snapshot, "exception.fingerprint")?.StringValue;
            if (string.IsNullOrEmpty(fingerprint)) continue;
            if (!byFingerprint.TryGetValue(fingerprint, out var group))
            {
                // Rows come newest first: the first snapshot of a fingerprint describes it.
                byFingerprint[fingerprint] = group = new Group(fingerprint, snapshot);
                groups.Add(group);
            }
            group.Snapshots++;
            group.Count += Math.Max(1, Attribute(snapshot, "exception.count")?.IntValue ?? 1);
        }
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartArray("exceptions");
            foreach (var group in groups.Take(limit))
            {
                var s = group.Latest;
                json.WriteStartObject();
                json.WriteString("fingerprint", group.Fingerprint);
                json.WriteString("type", Attribute(s, "exception.type")?.StringValue ?? "");
                json.WriteString("message", Attribute(s, "exception.message")?.StringValue ?? "");
                json.WriteString("where", Attribute(s, "exception.where")?.StringValue ?? "");
                json.WriteString("path", s.Tracepoint?.Path ?? "");
                json.WriteNumber("line", s.Tracepoint?.LineNumber ?? 0);
                json.WriteString("service", s.Resource.FirstOrDefault(r => r.Key == "service.name")?.Value?.StringValue ?? "");
                json.WriteNumber("count", group.Count);
                json.WriteNumber("snapshots", group.Snapshots);
                json.WriteString("lastSeen", HttpApi.Iso((long)s.TsNanos));
                json.WriteString("snapshotId", Convert.ToHexStringLower(s.ID.ToByteArray()));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return HttpApi.Json(context, 200, Encoding.UTF8.GetString(stream.ToArray()));
    }

    private Task Show(HttpContext context, string fingerprint)
    {
        if (fingerprint.Length != 16 || !fingerprint.All(char.IsAsciiHexDigitLower))
            return HttpApi.Error(context, 400, $"'{fingerprint}' is not an exception fingerprint: give its 16 lower-case hex digits (see /api/exceptions)");
        var rows = Read(Tenant(context), TracepointPrefix + fingerprint, 20);
        if (rows.Count == 0) return HttpApi.Error(context, 404, $"no exception with fingerprint {fingerprint}");
        var sb = new StringBuilder("{\"fingerprint\":\"").Append(fingerprint).Append("\",\"snapshots\":[");
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(ProtoJson.Formatter.Format(Snapshot.Parser.ParseFrom(rows[i])));
        }
        return HttpApi.Json(context, 200, sb.Append("]}").ToString());
    }

    private List<byte[]> Read(string tenant, string? tracepointId, int limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = tracepointId is null
            ? "SELECT data FROM snapshots WHERE tenant = $tenant AND tracepoint_id LIKE 'exception-%' ORDER BY ts_nanos DESC, seq DESC LIMIT $limit"
            : "SELECT data FROM snapshots WHERE tenant = $tenant AND tracepoint_id = $tp ORDER BY ts_nanos DESC, seq DESC LIMIT $limit";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$limit", limit);
        if (tracepointId is not null) command.Parameters.AddWithValue("$tp", tracepointId);
        using var reader = command.ExecuteReader();
        var result = new List<byte[]>();
        while (reader.Read()) result.Add((byte[])reader.GetValue(0));
        return result;
    }

    private static Deepproto.Proto.Common.V1.AnyValue? Attribute(Snapshot snapshot, string key) =>
        snapshot.Attributes.FirstOrDefault(a => a.Key == key)?.Value;

    // Set by HttpApi's gate for every routed request (the tenant of the API key).
    private static string Tenant(HttpContext context) => (string)context.Items["deep.tenant"]!;

    private sealed class Group(string fingerprint, Snapshot latest)
    {
        public string Fingerprint { get; } = fingerprint;
        public Snapshot Latest { get; } = latest;
        public long Count { get; set; }
        public int Snapshots { get; set; }
    }
}
