using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Deep.Agent.Instrumentation;
using Deep.Agent.Settings;
using Deep.Agent.Status;
using Deep.Agent.Tests.Probes;
using Deep.Agent.Transport;
using Deep.Agent.Triggers;
using Deep.Protocol;
using Deep.Protocol.Grpc;
using Deep.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using InstrumentationStatus = Deep.Agent.Instrumentation.ProbeInstallStatus;

namespace Deep.Agent.Tests.Status;

/// <summary>
/// Does what the profiler engine does with the status registry: an installed probe is recorded with where it went,
/// a probe at a file no assembly has is an error with the reason.
/// </summary>
internal sealed class StatusEngine(ProbeStatusRegistry registry) : IInstrumentationEngine
{
    private readonly BindingEngine _binding = new();

    public void Install(ProbeLocation location)
    {
        if (location.Path.StartsWith("Missing", StringComparison.Ordinal))
        {
            registry.Set(new InstrumentationStatus(location.ProbeId, location, ProbeInstallState.Error,
                $"no loaded assembly has a file {location.Path}", null, null, null, [], DateTimeOffset.UtcNow));
            return;
        }
        _binding.Install(location);
        // A file named Spans*: the probed frame has a local the engine cannot capture, as for a Span<T> local.
        IReadOnlyList<string> notCaptured = location.Path.StartsWith("Spans", StringComparison.Ordinal)
            ? ["buffer: Span<byte> is a ref struct and cannot be captured"]
            : [];
        registry.Set(new InstrumentationStatus(location.ProbeId, location, ProbeInstallState.Installed, null,
            "Shop.OrderService.Place", 0x1C, location.Line + 1, notCaptured, DateTimeOffset.UtcNow));
    }

    public void Remove(int probeId)
    {
        _binding.Remove(probeId);
        registry.Forget(probeId);
    }
}

public sealed class StatusReporterTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "deep-status-" + Guid.NewGuid().ToString("N"));
    private readonly ProbeStatusRegistry _registry = new();
    private readonly Collected _collected = new();
    private DeepServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = _data });
        _http = new HttpClient { BaseAddress = _server.HttpAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp directory is harmless
        }
    }

    private AgentSettings Settings(Uri server) => AgentSettings.FromEnvironment(new Dictionary<string, string?>
    {
        ["DEEP_SERVICE_URL"] = server.ToString(),
        ["DEEP_SERVICE_NAME"] = "shop",
    });

    /// <summary>An agent's status side against <paramref name="server"/>: its triggers and a started reporter.</summary>
    private sealed class Reporting(TriggerHandler triggers, IDeepTransport transport, StatusReporter reporter) : IDisposable
    {
        public TriggerHandler Triggers => triggers;
        public StatusReporter Reporter => reporter;

        public void Dispose()
        {
            triggers.Clear();
            reporter.Dispose();
            transport.Dispose();
        }
    }

    private Reporting StartReporting(Uri server, TimeSpan period, TimeSpan timeout, string? whyNoEngine = null)
    {
        var settings = Settings(server);
        var context = Collected.Context(_collected, settings);
        var engine = whyNoEngine is null ? new StatusEngine(_registry) : null;
        var triggers = new TriggerHandler(context, Deep.Agent.Probes.ProbeRuntime.Table, engine, whyNoEngine);
        var transport = new GrpcDeepTransport(settings);
        var reporter = new StatusReporter(transport, triggers, _registry, context.ResourceKeyValues, period, timeout);
        reporter.Start();
        return new Reporting(triggers, transport, reporter);
    }

    private static TracePointConfig Tp(string id, string path = "OrderService.cs", uint line = 42) =>
        ProbeTestSupport.Tracepoint(id, path, line, [("fire_count", "-1"), ("fire_period", "0")]);

    /// <summary>The server's /api/status answer for one tracepoint across agents (null while nobody reported it).</summary>
    private async Task<JsonElement?> ServerStatusAsync(string tracepointId)
    {
        var doc = await _http.GetFromJsonAsync<JsonElement>($"/api/status?tracepoint={tracepointId}");
        foreach (var agent in doc.GetProperty("agents").EnumerateArray())
        {
            foreach (var tp in agent.GetProperty("tracepoints").EnumerateArray())
            {
                var copy = JsonDocument.Parse($$"""{"agent":{{JsonSerializer.Serialize(agent.GetProperty("agent").GetString())}},"service":{{JsonSerializer.Serialize(agent.GetProperty("service").GetString())}},"tp":{{tp.GetRawText()}}}""").RootElement;
                return copy;
            }
        }
        return null;
    }

    private async Task<JsonElement> WaitForStateAsync(string tracepointId, string state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        JsonElement? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await ServerStatusAsync(tracepointId);
            if (last is { } e && e.GetProperty("tp").GetProperty("state").GetString() == state) return e;
            await Task.Delay(50);
        }
        Assert.Fail($"tracepoint {tracepointId} never reached '{state}' on the server; last: {last}");
        return default;
    }

    [Fact]
    public async Task An_installed_probe_reaches_the_server_with_where_it_went_what_it_cannot_capture_and_then_fired_with_its_count()
    {
        // A long period: only the change notifications can make these reports arrive in time.
        using var agent = StartReporting(_server.GrpcAddress, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(10));
        var (triggers, reporter) = (agent.Triggers, agent.Reporter);
        triggers.Apply([Tp("tp-installed"), Tp("tp-spans", "SpansService.cs")]);
        var installed = await WaitForStateAsync("tp-installed", "installed");
        Assert.Equal(reporter.AgentId, installed.GetProperty("agent").GetString());
        Assert.Equal("shop", installed.GetProperty("service").GetString());
        Assert.Equal("Shop.OrderService.Place", installed.GetProperty("tp").GetProperty("method").GetString());
        Assert.Equal(0x1C, installed.GetProperty("tp").GetProperty("ilOffset").GetInt32());
        Assert.Equal(43, installed.GetProperty("tp").GetProperty("lineUsed").GetInt32());
        Assert.Equal("", installed.GetProperty("tp").GetProperty("detail").GetString());
        // A probe whose frame has a value it cannot capture says which and why.
        var spans = await WaitForStateAsync("tp-spans", "installed");
        Assert.Equal("not captured: buffer: Span<byte> is a ref struct and cannot be captured",
            spans.GetProperty("tp").GetProperty("detail").GetString());

        var probe = triggers.ProbeIdOf(new LocationKey("OrderService.cs", 42, null, null, TracepointStage.LineStart))!.Value;
        Assert.True(BindingEngine.Hit(probe, 1, "a"));
        Assert.True(BindingEngine.Hit(probe, 2, "b"));
        reporter.Nudge(); // a fire changes no probe state; the periodic report would carry it
        var fired = await WaitForStateAsync("tp-installed", "fired");
        Assert.Equal(2, fired.GetProperty("tp").GetProperty("fireCount").GetInt64());
    }

    [Fact]
    public async Task Errors_reach_the_server_with_their_reason_and_a_removed_tracepoint_leaves_the_report()
    {
        using var agent = StartReporting(_server.GrpcAddress, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(10));
        var (triggers, reporter) = (agent.Triggers, agent.Reporter);
        triggers.Apply([Tp("tp-missing", "Missing.cs"), Tp("tp-rejected", line: 0), Tp("tp-ok")]);
        reporter.Nudge();
        var missing = await WaitForStateAsync("tp-missing", "error");
        Assert.Equal("no loaded assembly has a file Missing.cs", missing.GetProperty("tp").GetProperty("detail").GetString());
        var rejected = await WaitForStateAsync("tp-rejected", "error");
        Assert.Contains("line_number", rejected.GetProperty("tp").GetProperty("detail").GetString());
        await WaitForStateAsync("tp-ok", "installed");

        triggers.Apply([Tp("tp-ok")]);
        reporter.Nudge();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (await ServerStatusAsync("tp-missing") is not null && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Null(await ServerStatusAsync("tp-missing"));
        Assert.Null(await ServerStatusAsync("tp-rejected"));
        Assert.NotNull(await ServerStatusAsync("tp-ok"));
    }

    [Fact]
    public async Task Without_an_engine_tracepoints_are_reported_pending_with_why()
    {
        using var agent = StartReporting(_server.GrpcAddress, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(10),
            whyNoEngine: "the profiler is not loaded (CORECLR_ENABLE_PROFILING is not set)");
        var (triggers, reporter) = (agent.Triggers, agent.Reporter);
        triggers.Apply([Tp("tp-pending")]);
        reporter.Nudge();
        var pending = await WaitForStateAsync("tp-pending", "pending");
        Assert.Contains("CORECLR_ENABLE_PROFILING", pending.GetProperty("tp").GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_running_agent_reports_tracepoints_created_on_the_server()
    {
        using var create = await _http.PostAsJsonAsync("/api/tracepoints", new { tracepoint = new { path = "OrderService.cs", lineNumber = 42 } });
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        var created = (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tracepoint");
        var id = (created.TryGetProperty("ID", out var upper) ? upper : created.GetProperty("id")).GetString()!;

        DeepAgent.Shutdown();
        Assert.True(DeepAgent.Start(new DeepAgentOptions { ServiceUrl = _server.GrpcAddress.ToString(), ServiceName = "agent-e2e", Engine = new StatusEngine(ProbeStatusRegistry.Shared) }));
        try
        {
            var status = await WaitForStateAsync(id, "installed");
            Assert.Equal("agent-e2e", status.GetProperty("service").GetString());
            Assert.Equal("Shop.OrderService.Place", status.GetProperty("tp").GetProperty("method").GetString());
        }
        finally
        {
            DeepAgent.Shutdown();
        }
    }

    [Fact]
    public async Task A_server_answering_unimplemented_is_asked_once_and_never_again()
    {
        // A DEEP server: our framing on Kestrel, and every method but DEEP's two is UNIMPLEMENTED.
        var calls = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        await using var app = builder.Build();
        app.Run(context =>
        {
            Interlocked.Increment(ref calls);
            context.Response.ContentType = GrpcFraming.ContentType;
            context.Response.Headers["grpc-status"] = ((int)GrpcStatusCode.Unimplemented).ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers["grpc-message"] = "unknown service deepdotnet.status.v1.ProbeStatusService";
            return Task.CompletedTask;
        });
        await app.StartAsync();
        var address = new Uri(app.Urls.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal));

        using var agent = StartReporting(address, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        var (triggers, reporter) = (agent.Triggers, agent.Reporter);
        Poll.Until(() => reporter.Stopped, "the reporter gave up on the DEEP server");
        triggers.Apply([Tp("after")]);
        reporter.Nudge();
        // Ten periods and a change later, still the one call.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, Volatile.Read(ref calls));
        Assert.Equal(0, reporter.Sent);
    }

    [Fact]
    public void An_unreachable_server_is_retried_each_period_without_throwing()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        using var agent = StartReporting(new Uri($"http://127.0.0.1:{port}"), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
        var reporter = agent.Reporter;
        Poll.Until(() => reporter.Failures >= 3, "three failed attempts");
        Assert.False(reporter.Stopped);
        Assert.Equal(0, reporter.Sent);
    }

    [Fact]
    public void A_transport_without_status_support_counts_as_unimplemented()
    {
        var settings = Settings(new Uri("http://127.0.0.1:1"));
        var context = Collected.Context(_collected, settings);
        var triggers = new TriggerHandler(context, Deep.Agent.Probes.ProbeRuntime.Table, new StatusEngine(_registry));
        using var reporter = new StatusReporter(new PollOnlyTransport(), triggers, _registry, context.ResourceKeyValues, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1));
        reporter.ReportOnce(CancellationToken.None);
        Assert.True(reporter.Stopped);
    }

    private sealed class PollOnlyTransport : IDeepTransport
    {
        public Task<PollResponse> PollAsync(PollRequest request, TimeSpan? longPoll, TimeSpan timeout, CancellationToken cancellationToken) => Task.FromResult(new PollResponse());
        public Task SendAsync(Snapshot snapshot, TimeSpan timeout, CancellationToken cancellationToken) => Task.CompletedTask;
        public void Dispose() { }
    }
}
