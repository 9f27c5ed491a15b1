using System.Text.Json;
using Deep.Protocol.Grpc;
using Deep.Server.Storage;
using Deepdotnet.Status.V1;
using Deepproto.Proto.Common.V1;

namespace Deep.Server.Tests.Grpc;

public sealed class StatusReportTests
{
    internal static ProbeStatusReport Report(string agent, string service, params ProbeStatus[] statuses)
    {
        var report = new ProbeStatusReport { AgentId = agent, TsNanos = 1 };
        report.Resource.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } });
        report.Statuses.AddRange(statuses);
        return report;
    }

    internal static async Task<JsonElement> StatusAsync(RunningServer s, string query = "")
    {
        using var response = await s.Http.GetAsync("/api/status" + query);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task A_report_is_served_by_api_status_with_its_service_and_where_each_probe_is()
    {
        await using var s = await RunningServer.StartAsync();
        var since = (ulong)DateTimeOffset.Parse("2026-11-22T01:02:03.456Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1_000_000;
        var result = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, Report("agent-1", "shop",
            new ProbeStatus { TracepointId = "tp-a", State = ProbeState.Installed, Method = "Shop.Cart.Add", IlOffset = 0x1A, LineUsed = 43, UpdatedNanos = since },
            new ProbeStatus { TracepointId = "tp-b", State = ProbeState.Error, Detail = "no file Missing.cs in any loaded assembly" },
            new ProbeStatus { TracepointId = "tp-c", State = ProbeState.Fired, FireCount = 7 }));
        Assert.Equal(GrpcStatusCode.OK, result.Status);
        Assert.False(result.TrailersOnly);

        var agent = Assert.Single((await StatusAsync(s)).GetProperty("agents").EnumerateArray());
        Assert.Equal("agent-1", agent.GetProperty("agent").GetString());
        Assert.Equal("shop", agent.GetProperty("service").GetString());
        var tps = agent.GetProperty("tracepoints").EnumerateArray().ToDictionary(t => t.GetProperty("id").GetString()!);
        Assert.Equal(3, tps.Count);
        Assert.Equal("installed", tps["tp-a"].GetProperty("state").GetString());
        Assert.Equal("Shop.Cart.Add", tps["tp-a"].GetProperty("method").GetString());
        Assert.Equal(0x1A, tps["tp-a"].GetProperty("ilOffset").GetInt32());
        Assert.Equal(43, tps["tp-a"].GetProperty("lineUsed").GetInt32());
        Assert.Equal("2026-11-22T01:02:03.456Z", tps["tp-a"].GetProperty("updated").GetString());
        Assert.Equal("error", tps["tp-b"].GetProperty("state").GetString());
        Assert.Equal("no file Missing.cs in any loaded assembly", tps["tp-b"].GetProperty("detail").GetString());
        Assert.Equal("fired", tps["tp-c"].GetProperty("state").GetString());
        Assert.Equal(7, tps["tp-c"].GetProperty("fireCount").GetInt64());
    }

    [Fact]
    public async Task A_new_report_replaces_that_agents_rows_and_leaves_other_agents_alone()
    {
        await using var s = await RunningServer.StartAsync();
        await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, Report("a1", "shop",
            new ProbeStatus { TracepointId = "old", State = ProbeState.Pending, Detail = "assembly not loaded" },
            new ProbeStatus { TracepointId = "kept", State = ProbeState.Pending }));
        await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, Report("a2", "billing",
            new ProbeStatus { TracepointId = "kept", State = ProbeState.Installed }));
        var result = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, Report("a1", "shop",
            new ProbeStatus { TracepointId = "kept", State = ProbeState.Installed, Method = "M" }));
        Assert.Equal(GrpcStatusCode.OK, result.Status);

        var agents = (await StatusAsync(s)).GetProperty("agents").EnumerateArray()
            .ToDictionary(a => a.GetProperty("agent").GetString()!, a => a.GetProperty("tracepoints").EnumerateArray().ToList());
        Assert.Equal(["a1", "a2"], agents.Keys.Order());
        var a1 = Assert.Single(agents["a1"]);
        Assert.Equal("kept", a1.GetProperty("id").GetString());
        Assert.Equal("installed", a1.GetProperty("state").GetString());
        Assert.Equal("kept", Assert.Single(agents["a2"]).GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_report_without_an_agent_id_is_invalid_argument_and_stores_nothing()
    {
        await using var s = await RunningServer.StartAsync();
        var result = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, Report("", "shop", new ProbeStatus { TracepointId = "x" }));
        Assert.Equal(GrpcStatusCode.InvalidArgument, result.Status);
        Assert.Contains("agent_id", result.Message);
        Assert.Empty((await StatusAsync(s)).GetProperty("agents").EnumerateArray());
    }

    [Fact]
    public async Task A_report_that_is_not_a_valid_message_is_refused_with_the_decoder_s_reason()
    {
        await using var s = await RunningServer.StartAsync();
        // Field 1 claims 16 bytes of string but only one follows.
        var result = await s.Grpc.CallRawAsync(DeepDotnetMethods.ReportStatus, GrpcFraming.Frame([0x0A, 0x10, 0x41]));
        Assert.Equal(GrpcStatusCode.Unknown, result.Status);
        Assert.Contains("InvalidProtocolBufferException", result.Message);
    }

    [Fact]
    public async Task Status_can_be_filtered_to_one_tracepoint()
    {
        await using var s = await RunningServer.StartAsync();
        await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, Report("a1", "shop",
            new ProbeStatus { TracepointId = "one", State = ProbeState.Installed },
            new ProbeStatus { TracepointId = "two", State = ProbeState.Pending }));
        await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, Report("a2", "shop",
            new ProbeStatus { TracepointId = "two", State = ProbeState.Pending }));

        var agent = Assert.Single((await StatusAsync(s, "?tracepoint=one")).GetProperty("agents").EnumerateArray());
        Assert.Equal("a1", agent.GetProperty("agent").GetString());
        Assert.Equal("one", Assert.Single(agent.GetProperty("tracepoints").EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty((await StatusAsync(s, "?tracepoint=nope")).GetProperty("agents").EnumerateArray());

        using var empty = await s.Http.GetAsync("/api/status?tracepoint=");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("tracepoint", await empty.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Agents_silent_for_over_two_minutes_are_left_out()
    {
        await using var s = await RunningServer.StartAsync();
        var store = new ProbeStatusStore(s.Server.Database);
        var now = Deep.Protocol.UnixNanos.Now();
        store.Replace("single-tenant", Report("gone", "shop", new ProbeStatus { TracepointId = "t" }), now - TimeSpan.FromMinutes(3).Ticks * 100);
        store.Replace("single-tenant", Report("alive", "shop", new ProbeStatus { TracepointId = "t" }), now - TimeSpan.FromMinutes(1).Ticks * 100);

        var agent = Assert.Single((await StatusAsync(s)).GetProperty("agents").EnumerateArray());
        Assert.Equal("alive", agent.GetProperty("agent").GetString());
    }

    [Fact]
    public async Task A_tenant_sees_only_its_own_agents()
    {
        await using var s = await RunningServer.StartAsync(o => o.Multitenant = true);
        var result = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, Report("a1", "shop", new ProbeStatus { TracepointId = "t" }), ("x-scope-orgid", "acme"));
        Assert.Equal(GrpcStatusCode.OK, result.Status);

        using var mine = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        mine.Headers.Add("x-scope-orgid", "acme");
        using var theirs = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        theirs.Headers.Add("x-scope-orgid", "other");
        using var mineResponse = await s.Http.SendAsync(mine);
        using var theirsResponse = await s.Http.SendAsync(theirs);
        Assert.Contains("\"a1\"", await mineResponse.Content.ReadAsStringAsync());
        Assert.DoesNotContain("\"a1\"", await theirsResponse.Content.ReadAsStringAsync());
    }
}
