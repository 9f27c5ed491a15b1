using System.Text;
using System.Text.Json.Nodes;
using Deep.Agent.Settings;
using Deep.Agent.Transport;
using Deep.Server;

namespace Deep.Agent.Tests.Interop;

/// <summary>The whole agent against our own DEEP server (in-process, real HTTP/2 gRPC and SQLite, free ports).</summary>
public sealed class AgentAgainstDeepServerTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("deep-agent-server-").FullName;
    private readonly BindingEngine _engine = new();
    private DeepServer? _server;
    private HttpClient? _http;
    private RunningAgent? _agent;

    public async Task InitializeAsync()
    {
        _server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = _data });
        _http = new HttpClient { BaseAddress = _server.HttpAddress };
        // A poll interval far longer than the test's deadlines: only long polling can deliver changes in time.
        var settings = AgentSettings.FromEnvironment(new Dictionary<string, string?>
        {
            ["DEEP_SERVICE_URL"] = _server.GrpcAddress.ToString(),
            ["DEEP_POLL_TIMER"] = "120",
            ["DEEP_LONG_POLL"] = "30",
            ["DEEP_SERVICE_NAME"] = "agent-vs-server",
        });
        DeepAgent.Shutdown();
        _agent = DeepAgent.StartWith(settings, new DeepAgentOptions { Engine = _engine }, new GrpcDeepTransport(settings));
    }

    public async Task DisposeAsync()
    {
        DeepAgent.Shutdown();
        _http?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private async Task CreateTracepointAsync(string path, int line)
    {
        var body = new JsonObject
        {
            ["tracepoint"] = new JsonObject
            {
                ["path"] = path,
                ["lineNumber"] = line,
                ["args"] = new JsonObject { ["fire_count"] = "-1", ["fire_period"] = "0" },
            },
        };
        using var response = await _http!.PostAsync("/api/tracepoints", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_tracepoint_created_on_the_server_is_installed_through_long_polling_and_its_snapshot_is_stored()
    {
        // The first poll (no hash yet) answers at once; the next one is held by the server until something changes.
        Poll.Until(() => _agent!.Poll.Polls >= 1, "the first poll");
        await CreateTracepointAsync("Shop/OrderService.cs", 42);
        Poll.Until(() => _engine.Installed.Any(l => l.Line == 42), "the tracepoint installed well before the 120 s poll interval", 30);
        var probe = _engine.Installed.Single(l => l.Line == 42).ProbeId;

        Assert.True(BindingEngine.Hit(probe, 7, "widget"));
        Poll.Until(() => _agent!.Push.Sent == 1, "the snapshot accepted by the server");
        var search = JsonNode.Parse(await _http!.GetStringAsync("/api/search?tags=service.name%3D%22agent-vs-server%22"))!;
        var found = Assert.Single(search["snapshots"]!.AsArray());
        var id = (string)found!["snapshotID"]!;
        var snapshot = JsonNode.Parse(await _http.GetStringAsync($"/api/snapshots/{id}"))!;
        Assert.Equal("Shop/OrderService.cs", (string?)snapshot["tracepoint"]!["path"]);
        Assert.Equal(2, snapshot["frames"]![0]!["variables"]!.AsArray().Count);
    }
}
