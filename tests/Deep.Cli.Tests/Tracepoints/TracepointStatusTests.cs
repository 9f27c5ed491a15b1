using System.Text.Json;
using Deep.Cli.Common;
using Deep.Protocol.Grpc;
using P = Deep.Protocol;

namespace Deep.Cli.Tests.Tracepoints;

/// <summary>`deep tracepoint list` and `add --wait` read what agents report, sent here over gRPC as an agent sends it.</summary>
public sealed class TracepointStatusTests
{
    private static async Task ReportAsync(CliHarness h, string agent, string service, params P.ProbeStatus[] statuses)
    {
        var report = new P.ProbeStatusReport { AgentId = agent, TsNanos = 1 };
        report.Resource.Add(new P.KeyValue { Key = "service.name", Value = new P.AnyValue { StringValue = service } });
        report.Statuses.AddRange(statuses);
        using var client = new GrpcClient(h.Server.GrpcAddress);
        await client.UnaryCallAsync<P.ProbeStatusReport, P.ProbeStatusAck>(DeepDotnetMethods.ReportStatus, report);
    }

    private static async Task<string> AddAsync(CliHarness h, string location = "OrderService.cs:42")
    {
        var (code, output, error) = await h.RunAsync("tracepoint", "add", location, "--json");
        Assert.True(code == 0, error);
        return JsonDocument.Parse(output).RootElement.GetProperty("tracepoint").GetProperty("ID").GetString()!;
    }

    [Fact]
    public async Task List_shows_each_tracepoints_status_per_agent()
    {
        await using var h = await CliHarness.StartAsync();
        var installedId = await AddAsync(h, "OrderService.cs:42");
        var failedId = await AddAsync(h, "Missing.cs:7");
        var quietId = await AddAsync(h, "Quiet.cs:1");
        await ReportAsync(h, "0123456789abcdef", "shop",
            new P.ProbeStatus { TracepointId = installedId, State = P.ProbeStatusState.Installed, Method = "Shop.OrderService.Place", IlOffset = 0x1A, LineUsed = 43 },
            new P.ProbeStatus { TracepointId = failedId, State = P.ProbeStatusState.Error, Detail = "no loaded assembly has a file Missing.cs" });
        await ReportAsync(h, "fedcba9876543210", "billing",
            new P.ProbeStatus { TracepointId = installedId, State = P.ProbeStatusState.Pending, Detail = "assembly Shop not loaded yet" });

        var (code, output, error) = await h.RunAsync("tracepoint", "list");
        Assert.True(code == 0, error);
        var lines = output.Split('\n');
        var installed = Assert.Single(lines, l => l.Contains(installedId, StringComparison.Ordinal));
        Assert.Contains("installed on shop (01234567) in Shop.OrderService.Place at IL_001A, line 43", installed);
        Assert.Contains("pending on billing (fedcba98): assembly Shop not loaded yet", installed);
        var failed = Assert.Single(lines, l => l.Contains(failedId, StringComparison.Ordinal));
        Assert.Contains("error on shop (01234567): no loaded assembly has a file Missing.cs", failed);
        Assert.Contains("no agent has reported it", Assert.Single(lines, l => l.Contains(quietId, StringComparison.Ordinal)));
    }

    /// <summary>The id of the tracepoint a running <c>add</c> created, once it exists: an agent reports only then, as a polling agent would.</summary>
    private static async Task<string> FirstTracepointIdAsync(CliHarness h)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var (_, list, _) = await h.RunAsync("tracepoint", "list", "--json");
            var tps = JsonDocument.Parse(list).RootElement;
            if (tps.TryGetProperty("response", out var response) && response.GetArrayLength() > 0) return response[0].GetProperty("ID").GetString()!;
            await Task.Delay(50);
        }
        Assert.Fail("the add command created no tracepoint within 20 s");
        return "";
    }

    [Fact]
    public async Task Add_wait_returns_when_an_agent_installed_it_and_says_where()
    {
        await using var h = await CliHarness.StartAsync();
        var run = h.RunAsync("tracepoint", "add", "OrderService.cs:42", "--wait", "--wait-timeout", "30s");
        var id = await FirstTracepointIdAsync(h);
        await ReportAsync(h, "agent-1", "shop", new P.ProbeStatus { TracepointId = id, State = P.ProbeStatusState.Installed, Method = "Shop.OrderService.Place", IlOffset = 7, LineUsed = 42 });

        var (code, output, error) = await run;
        Assert.True(code == 0, error);
        Assert.Contains($"created tracepoint {id}", output);
        Assert.Contains("installed on shop (agent-1) in Shop.OrderService.Place at IL_0007, line 42", output);
    }

    [Fact]
    public async Task Add_wait_reports_an_agents_error_and_exits_non_zero()
    {
        await using var h = await CliHarness.StartAsync();
        var run = h.RunAsync("tracepoint", "add", "Missing.cs:3", "--wait");
        var id = await FirstTracepointIdAsync(h);
        await ReportAsync(h, "agent-1", "shop", new P.ProbeStatus { TracepointId = id, State = P.ProbeStatusState.Error, Detail = "no loaded assembly has a file Missing.cs" });

        var (code, _, error) = await run;
        Assert.Equal(ExitCodes.TracepointFailed, code);
        Assert.Contains("cannot be installed: error on shop (agent-1): no loaded assembly has a file Missing.cs", error);
    }

    [Fact]
    public async Task Add_wait_times_out_when_no_agent_reports_it()
    {
        await using var h = await CliHarness.StartAsync();
        var (code, output, error) = await h.RunAsync("tracepoint", "add", "OrderService.cs:42", "--wait", "--wait-timeout", "1s");
        Assert.Equal(ExitCodes.TimedOut, code);
        Assert.Contains("created tracepoint", output);
        Assert.Contains("not installed within 1 s: no agent has reported it", error);
    }

    [Fact]
    public async Task A_bad_wait_timeout_is_a_usage_error()
    {
        await using var h = await CliHarness.StartAsync();
        var (code, _, error) = await h.RunAsync("tracepoint", "add", "OrderService.cs:42", "--wait", "--wait-timeout", "soon");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--wait-timeout", error);
    }
}
