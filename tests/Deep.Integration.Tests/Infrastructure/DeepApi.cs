using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Deep.Integration.Tests.Infrastructure;

/// <summary>The server's DEEP HTTP API, as a user or Grafana calls it.</summary>
internal sealed class DeepApi(Uri httpAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = httpAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Creates a tracepoint and returns its id.</summary>
    public async Task<string> CreateAsync(string path, int line, IDictionary<string, string>? args = null, IEnumerable<string>? watches = null,
        JsonArray? metrics = null)
    {
        var tracepoint = new JsonObject
        {
            ["path"] = path,
            ["lineNumber"] = line,
            ["args"] = new JsonObject((args ?? new Dictionary<string, string>()).Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))),
            ["watches"] = new JsonArray((watches ?? []).Select(w => (JsonNode?)w).ToArray()),
        };
        if (metrics is not null)
        {
            tracepoint["metrics"] = metrics; // the DEEP JSON of Metric messages: name, type, expression...
        }
        using var response = await _http.PostAsJsonAsync("/api/tracepoints", new JsonObject { ["tracepoint"] = tracepoint });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"creating the tracepoint failed: {(int)response.StatusCode} {body}");
        }
        return JsonNode.Parse(body)!["tracepoint"]!["ID"]!.GetValue<string>();
    }

    public async Task DeleteAsync(string id)
    {
        using var response = await _http.DeleteAsync($"/api/tracepoints/{id}");
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The tracepoint's snapshot count once it stopped changing for a second (sends are asynchronous).</summary>
    public async Task<int> SettledCountAsync(string tracepointId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        int last = -1;
        var stableSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            int count = (await SnapshotsAsync(tracepointId)).Count;
            if (count != last)
            {
                last = count;
                stableSince = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - stableSince > TimeSpan.FromSeconds(1))
            {
                return count;
            }
            await Task.Delay(100);
        }
        return last;
    }

    /// <summary>The snapshots the server stored for a tracepoint.</summary>
    public async Task<IReadOnlyList<Snapshot>> SnapshotsAsync(string tracepointId)
    {
        var body = await _http.GetStringAsync($"/api/snapshots?tracepoint={tracepointId}&limit=1000");
        var list = JsonNode.Parse(body)!["snapshots"]!.AsArray();
        return list.Select(s => new Snapshot(s!.AsObject())).ToList();
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A snapshot as the API returns it (protobuf JSON), with the probed frame's variables by name.</summary>
internal sealed class Snapshot(JsonObject json)
{
    public JsonObject Json { get; } = json;

    private JsonObject Frame => Json["frames"]!.AsArray()[0]!.AsObject();

    public int LineNumber => Frame["lineNumber"]!.GetValue<int>();

    public string MethodName => Frame["methodName"]?.GetValue<string>() ?? "";

    /// <summary>The probed frame's variable names.</summary>
    public IReadOnlyList<string> Names =>
        (Frame["variables"]?.AsArray() ?? []).Select(v => v!["name"]!.GetValue<string>()).ToList();

    /// <summary>The value text of a probed-frame variable, or null when the frame has no such variable.</summary>
    public string? Value(string name) => Variable(name)?["value"]?.GetValue<string>();

    /// <summary>The type of a probed-frame variable.</summary>
    public string? Type(string name) => Variable(name)?["type"]?.GetValue<string>();

    public string? Attribute(string key) => Find(Json["attributes"]?.AsArray(), key);

    /// <summary>A resource attribute of the agent that sent the snapshot (service.name, telemetry.sdk.version...).</summary>
    public string? Resource(string key) => Find(Json["resource"]?.AsArray(), key);

    private static string? Find(JsonArray? keyValues, string key)
    {
        foreach (var kv in keyValues ?? [])
        {
            if (kv!["key"]!.GetValue<string>() == key)
            {
                return kv["value"]!.AsObject().FirstOrDefault().Value?.ToString();
            }
        }
        return null;
    }

    private JsonObject? Variable(string name)
    {
        var reference = (Frame["variables"]?.AsArray() ?? []).FirstOrDefault(v => v!["name"]!.GetValue<string>() == name);
        if (reference is null)
        {
            return null;
        }
        var id = reference["ID"]!.GetValue<string>();
        return Json["varLookup"]?[id]?.AsObject();
    }

    public override string ToString() => Json.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
