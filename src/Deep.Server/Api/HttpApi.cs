using System.Globalization;
using System.Text;
using System.Text.Json;
using Deep.Server.Polling;
using Deep.Server.Security;
using Deep.Server.Storage;
using Deepproto.Proto.Common.V1;
using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Deep.Server.Api;

/// <summary>
/// The DEEP server's HTTP API (same paths and protobuf JSON, so DEEP's tools can point at this server), plus what
/// people and scripts need beyond it: the created tracepoint in the answer, snapshots listed by tracepoint, and 400s
/// that say what is wrong.
/// </summary>
internal sealed class HttpApi(TracepointRegistry registry, PollService polls, SnapshotStore snapshots, RequestGate gate, ProbeStatusStore statuses, ILogger logger)
{
    private const string TenantItem = "deep.tenant";
    private const int MaxListLimit = 1000;

    /// <summary>Statuses per <c>/api/status</c> page unless asked otherwise, and the most asked for (a status is at most ~3 KB of JSON).</summary>
    private const int DefaultStatusPage = 1000, MaxStatusPage = 5000;

    /// <summary>The latest second whose last nanosecond still fits the signed 64-bit nanoseconds snapshots are stored in.</summary>
    private const long MaxUnixSeconds = (long.MaxValue - 999_999_999) / 1_000_000_000;

    /// <summary>The largest <c>POST /api/tracepoints</c> body read (a tracepoint is a few hundred bytes).</summary>
    public const int MaxTracepointBodyBytes = 64 * 1024;

    public void Map(WebApplication app)
    {
        // Everything routed is gated, whatever the case of its path (routing ignores case, so must the gate); the
        // web UI's static files are not routed and need no key, so that the page can load and ask for one.
        app.UseWhen(c => c.GetEndpoint() is not null || c.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase),
            branch => branch.Use(GateAsync));
        app.MapGet("/api/echo", (HttpContext c) => Json(c, 200, "{\"ok\":true}"));
        app.MapGet("/api/tracepoints", GetTracepointsAsync);
        app.MapPost("/api/tracepoints", CreateTracepointAsync);
        app.MapDelete("/api/tracepoints/{id}", DeleteTracepoint);
        app.MapGet("/api/snapshots/{id}", GetSnapshot);
        app.MapGet("/api/snapshots", ListSnapshots);
        app.MapGet("/api/search", Search);
        app.MapGet("/api/status", GetStatus);
        app.Map("/api/{**rest}", (HttpContext c) => Error(c, 404, $"no such API: {c.Request.Method} {c.Request.Path}"));
    }

    private async Task GateAsync(HttpContext context, RequestDelegate next)
    {
        if (gate.CheckAuthorization(context.Request) is { } authError)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Error(context, 401, authError).ConfigureAwait(false);
            return;
        }
        if (BrowserDefenses.CheckCrossSite(context.Request, out var crossSiteStatus) is { } crossSiteError)
        {
            await Error(context, crossSiteStatus, crossSiteError).ConfigureAwait(false);
            return;
        }
        var tenant = gate.ResolveTenant(context.Request, out var tenantError);
        if (tenant is null)
        {
            await Error(context, 401, tenantError!).ConfigureAwait(false);
            return;
        }
        context.Items[TenantItem] = tenant;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // An answer with a body that says what failed, never an empty 500.
            var (status, message) = Failure(ex);
            if (status >= 500) logger.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            BrowserDefenses.AddSecurityHeaders(context.Response);
            await Error(context, status, message).ConfigureAwait(false);
        }
    }

    /// <summary>The status and message for a request that failed: a full disk is 507, a busy or broken database 503.</summary>
    private static (int Status, string Message) Failure(Exception ex) => ex switch
    {
        BadHttpRequestException bad => (bad.StatusCode, "the request could not be read: " + bad.Message),
        SqliteException { SqliteErrorCode: 13 } => (507, "the server's storage is full (the disk, or the database size limit): nothing was stored; free space and try again"),
        SqliteException { SqliteErrorCode: 5 or 6 } sql => (503, "the server's database is busy; try again: " + sql.Message),
        SqliteException sql => (503, "the server's database failed: " + sql.Message),
        IOException io => (503, "the server could not write its data: " + io.Message),
        _ => (500, "the server failed: " + ex.Message),
    };

    private static string Tenant(HttpContext context) => (string)context.Items[TenantItem]!;

    private async Task GetTracepointsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        List<KeyValue>? resource = null;
        foreach (var (key, values) in query)
        {
            if (key is "ts" or "hash") continue;
            resource ??= new List<KeyValue>();
            resource.Add(new KeyValue { Key = key, Value = new AnyValue { StringValue = values.ToString() } });
        }
        var response = await polls.PollAsync(Tenant(context), query["hash"].ToString(), resource, TimeSpan.Zero, context.RequestAborted).ConfigureAwait(false);
        if (response.ResponseType == Deepproto.Proto.Poll.V1.ResponseType.NoChange)
        {
            // Unlike the gRPC answer, the JSON one always lists the tracepoints: people and scripts read it.
            var (all, _) = registry.Current(Tenant(context));
            response.Response.AddRange(Targeting.Select(all, resource));
        }
        await Json(context, 200, ProtoJson.Formatter.Format(response)).ConfigureAwait(false);
    }

    private async Task CreateTracepointAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxTracepointBodyBytes)
        {
            await Error(context, 413, $"the body is {context.Request.ContentLength} bytes; a tracepoint may be at most {MaxTracepointBodyBytes} bytes").ConfigureAwait(false);
            return;
        }
        if (await ReadBodyAsync(context.Request.Body, MaxTracepointBodyBytes, context.RequestAborted).ConfigureAwait(false) is not { } body)
        {
            await Error(context, 413, $"the body is over {MaxTracepointBodyBytes} bytes, the most a tracepoint may be").ConfigureAwait(false);
            return;
        }
        string tracepointJson;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                await Error(context, 400, "the body must be a JSON object: {\"tracepoint\": {...}}").ConfigureAwait(false);
                return;
            }
            if (!doc.RootElement.TryGetProperty("tracepoint", out var tp) || tp.ValueKind != JsonValueKind.Object)
            {
                await Error(context, 400, "the body has no \"tracepoint\" object: send {\"tracepoint\": {\"path\": \"File.cs\", \"lineNumber\": 42}}").ConfigureAwait(false);
                return;
            }
            tracepointJson = tp.GetRawText();
        }
        catch (JsonException ex)
        {
            await Error(context, 400, "the body is not valid JSON: " + ex.Message).ConfigureAwait(false);
            return;
        }

        TracePointConfig config;
        try
        {
            config = ProtoJson.Parser.Parse<TracePointConfig>(tracepointJson);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            await Error(context, 400, "the tracepoint is not valid: " + ex.Message).ConfigureAwait(false);
            return;
        }
        if (TracepointValidator.Validate(config) is { Count: > 0 } problems)
        {
            await Error(context, 400, string.Join("; ", problems.Select(p => p.Message))).ConfigureAwait(false);
            return;
        }
        TracePointConfig created;
        try
        {
            created = registry.Add(Tenant(context), config);
        }
        catch (TracepointLimitException ex)
        {
            await Error(context, 409, ex.Message).ConfigureAwait(false);
            return;
        }
        await Json(context, 200, "{\"tracepoint\":" + ProtoJson.Formatter.Format(created) + "}").ConfigureAwait(false);
    }

    /// <summary>The body as text, or null when it is longer than <paramref name="limit"/> bytes (the rest is not read).</summary>
    private static async Task<string?> ReadBodyAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[limit + 1];
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total > limit ? null : Encoding.UTF8.GetString(buffer, 0, total);
    }

    private Task DeleteTracepoint(HttpContext context, string id)
        => registry.Remove(Tenant(context), id)
            ? Json(context, 200, "{}")
            : Error(context, 404, $"no tracepoint with id '{id}' (list them with GET /api/tracepoints)");

    private Task GetSnapshot(HttpContext context, string id)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(id);
        }
        catch (FormatException)
        {
            return Error(context, 400, $"'{id}' is not a snapshot id: give the 32 hex digits of its 16 bytes");
        }
        var data = snapshots.Get(Tenant(context), bytes);
        if (data is null) return Error(context, 404, $"no snapshot with id {id.ToLowerInvariant()}");
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("application/protobuf", StringComparison.OrdinalIgnoreCase)
            || accept.Contains("application/x-protobuf", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.ContentType = "application/protobuf";
            return context.Response.Body.WriteAsync(data, context.RequestAborted).AsTask();
        }
        return Json(context, 200, ProtoJson.Formatter.Format(Snapshot.Parser.ParseFrom(data)));
    }

    private Task ListSnapshots(HttpContext context)
    {
        var query = context.Request.Query;
        if (ParseLimit(query["limit"], 20) is not { } limit)
            return Error(context, 400, $"limit '{query["limit"]}' must be a whole number from 1 to {MaxListLimit}");
        var tracepoint = query["tracepoint"].ToString();
        var rows = snapshots.List(Tenant(context), tracepoint.Length == 0 ? null : tracepoint, limit);
        var sb = new StringBuilder("{\"snapshots\":[");
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(ProtoJson.Formatter.Format(Snapshot.Parser.ParseFrom(rows[i])));
        }
        sb.Append("]}");
        return Json(context, 200, sb.ToString());
    }

    private Task Search(HttpContext context)
    {
        var query = context.Request.Query;
        if (ParseLimit(query["limit"], 20) is not { } limit)
            return Error(context, 400, $"limit '{query["limit"]}' must be a whole number from 1 to {MaxListLimit}");
        long? start = null, end = null;
        if (query["start"].ToString() is { Length: > 0 } s)
        {
            if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v > MaxUnixSeconds)
                return Error(context, 400, $"start '{s}' must be unix seconds from 0 to {MaxUnixSeconds}");
            start = v * 1_000_000_000;
        }
        if (query["end"].ToString() is { Length: > 0 } e)
        {
            if (!long.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v > MaxUnixSeconds)
                return Error(context, 400, $"end '{e}' must be unix seconds from 0 to {MaxUnixSeconds}");
            // The whole last second counts.
            end = v * 1_000_000_000 + 999_999_999;
        }
        Dictionary<string, string> tags;
        try
        {
            tags = Logfmt.Parse(query["tags"].ToString());
        }
        catch (FormatException ex)
        {
            return Error(context, 400, "tags: " + ex.Message);
        }
        tags.Remove("service.name", out var service);
        Func<byte[], bool>? filter = null;
        if (tags.Count > 0)
        {
            filter = data =>
            {
                var snapshot = Snapshot.Parser.ParseFrom(data);
                foreach (var (key, value) in tags)
                {
                    if (!HasAttribute(snapshot.Resource, key, value) && !HasAttribute(snapshot.Attributes, key, value)) return false;
                }
                return true;
            };
        }
        var rows = snapshots.Search(Tenant(context), service, start, end, limit, filter);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartArray("snapshots");
            foreach (var r in rows)
            {
                json.WriteStartObject();
                json.WriteString("snapshotID", Convert.ToHexStringLower(r.Id));
                json.WriteString("tracepointID", r.TracepointId);
                json.WriteString("serviceName", r.ServiceName);
                json.WriteString("filePath", r.FilePath);
                json.WriteNumber("lineNo", r.LineNo);
                json.WriteString("startTimeUnixNano", ((ulong)r.TsNanos).ToString(CultureInfo.InvariantCulture));
                json.WriteString("durationNano", ((ulong)r.DurationNanos).ToString(CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Json(context, 200, Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static bool HasAttribute(IEnumerable<KeyValue> attributes, string key, string value)
    {
        foreach (var kv in attributes)
        {
            if (kv.Key != key || kv.Value is null) continue;
            var text = kv.Value.ValueCase switch
            {
                AnyValue.ValueOneofCase.StringValue => kv.Value.StringValue,
                AnyValue.ValueOneofCase.IntValue => kv.Value.IntValue.ToString(CultureInfo.InvariantCulture),
                AnyValue.ValueOneofCase.BoolValue => kv.Value.BoolValue ? "true" : "false",
                AnyValue.ValueOneofCase.DoubleValue => kv.Value.DoubleValue.ToString(CultureInfo.InvariantCulture),
                _ => null,
            };
            if (text == value) return true;
        }
        return false;
    }

    private static int? ParseLimit(Microsoft.Extensions.Primitives.StringValues raw, int fallback, int max = MaxListLimit)
    {
        var text = raw.ToString();
        if (text.Length == 0) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= 1 && v <= max ? v : null;
    }

    /// <summary>
    /// <c>GET /api/status[?tracepoint=id][&amp;limit=n][&amp;after=cursor]</c>: the live agents' reports, a page of at most
    /// <c>limit</c> statuses (by agent, then tracepoint id), as
    /// <c>{"agents":[{"agent","service","reported","tracepoints":[{"id","state","detail","method","ilOffset","lineUsed","fireCount","updated"}]}],"next":"cursor"}</c>;
    /// <c>next</c> is there when more follow (ask again with <c>after=</c> it).
    /// </summary>
    private Task GetStatus(HttpContext context)
    {
        var query = context.Request.Query;
        var tracepoint = query["tracepoint"].ToString();
        if (query.ContainsKey("tracepoint") && tracepoint.Length == 0)
            return Error(context, 400, "the tracepoint parameter is empty: give a tracepoint id, or leave it out for all");
        if (ParseLimit(query["limit"], DefaultStatusPage, MaxStatusPage) is not { } limit)
            return Error(context, 400, $"limit '{query["limit"]}' must be a whole number from 1 to {MaxStatusPage}");
        StatusCursor? after = null;
        if (query.ContainsKey("after"))
        {
            after = StatusCursor.Decode(query["after"].ToString());
            if (after is null) return Error(context, 400, "after is not a cursor this server gave out: pass the 'next' of the previous page");
        }
        var (rows, next) = statuses.Page(Tenant(context), tracepoint.Length == 0 ? null : tracepoint, Clock.NowNanos(), after, limit);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartArray("agents");
            foreach (var agent in rows.GroupBy(r => r.AgentId))
            {
                json.WriteStartObject();
                json.WriteString("agent", agent.Key);
                json.WriteString("service", agent.First().Service);
                json.WriteString("reported", Iso(agent.Max(r => r.ReceivedNanos)));
                json.WriteStartArray("tracepoints");
                foreach (var r in agent)
                {
                    json.WriteStartObject();
                    json.WriteString("id", r.TracepointId);
                    json.WriteString("state", r.State);
                    json.WriteString("detail", r.Detail);
                    json.WriteString("method", r.Method);
                    json.WriteNumber("ilOffset", r.IlOffset);
                    json.WriteNumber("lineUsed", r.LineUsed);
                    json.WriteNumber("fireCount", r.FireCount);
                    json.WriteString("updated", Iso(r.SinceNanos != 0 ? r.SinceNanos : r.ReceivedNanos));
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (next is not null) json.WriteString("next", next.Encode());
            json.WriteEndObject();
        }
        return Json(context, 200, Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static string Iso(long nanos) =>
        DateTimeOffset.UnixEpoch.AddTicks(nanos / 100).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static Task Json(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(json, context.RequestAborted);
    }

    internal static Task Error(HttpContext context, int status, string message)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("error", message);
            json.WriteEndObject();
        }
        return Json(context, status, Encoding.UTF8.GetString(stream.ToArray()));
    }
}

/// <summary>The <c>tags</c> search parameter: logfmt pairs such as <c>service.name="shop" env=prod</c>.</summary>
internal static class Logfmt
{
    public static Dictionary<string, string> Parse(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length) return result;
            var keyStart = i;
            while (i < text.Length && text[i] != '=' && !char.IsWhiteSpace(text[i])) i++;
            var key = text[keyStart..i];
            if (i >= text.Length || text[i] != '=') throw new FormatException($"'{key}' has no value: write key=value or key=\"value\"");
            i++;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    sb.Append(text[i++]);
                }
                if (i >= text.Length) throw new FormatException($"the value of '{key}' has no closing quote");
                i++;
                value = sb.ToString();
            }
            else
            {
                var valueStart = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
                value = text[valueStart..i];
            }
            result[key] = value;
        }
    }
}
