using Deep.Agent.Settings;
using Deep.Agent.Transport;

namespace Deep.Agent.Tests.Interop;

/// <summary>The whole agent (poll, config, triggers, probe runtime, push) against a DEEP server on Python grpcio.</summary>
public sealed class AgentAgainstPythonServerTests : IDisposable
{
    private readonly PythonDeepServer _server = PythonDeepServer.Start();
    private readonly BindingEngine _engine = new();
    private readonly Collected _logs = new();
    private readonly RunningAgent _agent;

    public AgentAgainstPythonServerTests()
    {
        var settings = AgentSettings.FromEnvironment(new Dictionary<string, string?>
        {
            ["DEEP_SERVICE_URL"] = _server.Address.ToString(),
            ["DEEP_POLL_TIMER"] = "0.1",
            ["DEEP_SERVICE_NAME"] = "interop-test",
            ["DEEP_SERVICE_USERNAME"] = "user",
            ["DEEP_SERVICE_PASSWORD"] = "pass",
        });
        var options = new DeepAgentOptions { Engine = _engine };
        options.LogSinks.Add(_logs);
        DeepAgent.Shutdown();
        _agent = DeepAgent.StartWith(settings, options, new GrpcDeepTransport(settings))!;
    }

    public void Dispose()
    {
        DeepAgent.Shutdown();
        _server.Dispose();
    }

    private static object Tp(string id, int line, params (string, string)[] args) => new
    {
        ID = id,
        path = "src/Shop/OrderService.cs",
        lineNumber = line,
        args = args.Concat([("fire_count", "-1"), ("fire_period", "0")]).DistinctBy(a => a.Item1).ToDictionary(a => a.Item1, a => a.Item2),
    };

    private int ProbeFor(int line)
    {
        Poll.Until(() => _engine.Installed.Any(l => l.Line == line), $"a probe installed at line {line}");
        return _engine.Installed.Last(l => l.Line == line).ProbeId;
    }

    [Fact]
    public void Tracepoints_arrive_update_and_disappear()
    {
        _server.SetTracepoints(Tp("tp-a", 10));
        var a = ProbeFor(10);
        Assert.Equal("src/Shop/OrderService.cs", _engine.Installed.Single().Path);

        _server.SetTracepoints(Tp("tp-a", 10), Tp("tp-b", 20));
        ProbeFor(20);
        Assert.Equal(2, _engine.Installed.Count); // tp-a untouched, not reinstalled

        _server.SetTracepoints();
        Poll.Until(() => _engine.Removed.Count == 2, "both probes removed");
        Assert.Contains(a, _engine.Removed);
    }

    [Fact]
    public void Polls_carry_the_resource_auth_and_a_long_poll_request_and_work_against_a_server_that_ignores_it()
    {
        _server.SetTracepoints(Tp("tp-a", 10));
        ProbeFor(10);
        // The Python server ignores deep-long-poll and answers at once: the agent keeps polling on its interval.
        Poll.Until(() => _server.Polls.Count(p => p["long_poll"] is not null) >= 3, "several polls with a long-poll request");
        var poll = _server.Polls.Last();
        Assert.Equal("30", (string?)poll["long_poll"]);
        Assert.Equal("Basic dXNlcjpwYXNz", (string?)poll["authorization"]);
        Assert.Equal("interop-test", (string?)poll["resource"]!["service.name"]!["stringValue"]);
        Assert.Equal("dotnet", (string?)poll["resource"]!["telemetry.sdk.language"]!["stringValue"]);
        Assert.Null((string?)_server.Polls.First()["long_poll"]); // the first poll has no hash yet
    }

    [Fact]
    public void Snapshots_produced_by_the_probe_runtime_arrive_intact()
    {
        _server.SetTracepoints(Tp("tp-snap", 42, ("watch_me", "kept")));
        var probe = ProbeFor(42);
        Assert.True(BindingEngine.Hit(probe, 7, "widget"));

        Poll.Until(() => _server.Snapshots.Any(), "a snapshot at the server");
        var snapshot = _server.Snapshots.Single();
        Assert.Equal(16, Convert.FromBase64String((string)snapshot["ID"]!).Length);
        Assert.Equal("tp-snap", (string?)snapshot["tracepoint"]!["ID"]);
        Assert.Equal("kept", (string?)snapshot["tracepoint"]!["args"]!["watch_me"]);
        var attributes = snapshot["attributes"]!.AsArray().ToDictionary(a => (string)a!["key"]!, a => a!["value"]!);
        Assert.Equal("tp-snap", (string?)attributes["tracepoint"]["stringValue"]);
        Assert.Equal(32, ((string?)attributes["context"]["stringValue"])!.Length);
        Assert.Equal("line_start", (string?)attributes["stage"]["stringValue"]);
        var frame = snapshot["frames"]![0]!;
        Assert.Equal(BindingEngine.DefaultLayout.FilePath, (string?)frame["fileName"]);
        Assert.Equal(BindingEngine.DefaultLayout.LineUsed, (int)frame["lineNumber"]!);
        Assert.Contains(snapshot["resource"]!.AsArray(), kv => (string?)kv!["key"] == "service.name" && (string?)kv["value"]!["stringValue"] == "interop-test");
        Assert.True(ulong.Parse((string)snapshot["tsNanos"]!, System.Globalization.CultureInfo.InvariantCulture) > 1_600_000_000_000_000_000UL);
    }

    [Fact]
    public void The_server_going_away_and_coming_back_loses_no_queued_snapshot()
    {
        _server.SetTracepoints(Tp("tp-r", 42));
        var probe = ProbeFor(42);
        var port = _server.Port;
        _server.Kill();

        for (var i = 0; i < 5; i++) Assert.True(BindingEngine.Hit(probe, i, "offline"));
        Poll.Until(() => _agent.Push.Pending > 0, "snapshots waiting while the server is down");

        using var back = PythonDeepServer.Start(port);
        back.SetTracepoints(Tp("tp-r", 42), Tp("tp-new", 50));
        Poll.Until(() => back.Snapshots.Count() == 5, "all five queued snapshots delivered after the server came back", 60);
        Assert.Equal(0, _agent.Push.Dropped);
        // Polling recovered too: the new server's tracepoint was installed.
        ProbeFor(50);
    }
}
