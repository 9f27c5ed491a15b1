using System.Text.Json;
using Deep.Protocol.Grpc;
using Deep.Server.Security;
using Deep.Server.Storage;
using Deepdotnet.Status.V1;

namespace Deep.Server.Tests.Grpc;

/// <summary>
/// Status reports from made-up agents cannot grow the server without bound: the agents, the statuses and each text
/// are capped, silent agents are forgotten, and <c>/api/status</c> answers in pages of bounded size.
/// </summary>
public sealed class StatusLimitTests
{
    private static ProbeStatus[] Statuses(int count, int detailLength, string prefix = "tp-") =>
        Enumerable.Range(0, count).Select(i => new ProbeStatus
        {
            TracepointId = prefix + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture),
            State = ProbeState.Error,
            Detail = new string('d', detailLength),
            Method = new string('m', detailLength),
        }).ToArray();

    /// <summary>Every page of /api/status, following <c>next</c>; and the largest page's size in bytes.</summary>
    private static async Task<(List<(string Agent, string Id, JsonElement Status)> All, int LargestPage, int Pages)> ReadAllAsync(RunningServer s, string query = "")
    {
        var all = new List<(string, string, JsonElement)>();
        var largest = 0;
        var pages = 0;
        string? after = null;
        do
        {
            var separator = query.Length == 0 ? "?" : "&";
            var url = "/api/status" + query + (after is null ? "" : separator + "after=" + Uri.EscapeDataString(after));
            using var response = await s.Http.GetAsync(url);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            largest = Math.Max(largest, bytes.Length);
            pages++;
            using var doc = JsonDocument.Parse(bytes);
            foreach (var agent in doc.RootElement.GetProperty("agents").EnumerateArray())
            {
                foreach (var t in agent.GetProperty("tracepoints").EnumerateArray())
                    all.Add((agent.GetProperty("agent").GetString()!, t.GetProperty("id").GetString()!, t.Clone()));
            }
            after = doc.RootElement.TryGetProperty("next", out var next) ? next.GetString() : null;
            Assert.True(pages < 1000, "the pages never ended");
        }
        while (after is not null);
        return (all, largest, pages);
    }

    [Fact]
    public async Task Reports_from_more_agents_than_the_limit_are_refused_and_what_is_kept_stays_bounded()
    {
        await using var s = await RunningServer.StartAsync();
        // The shape: many made-up agents, each with long details. The first ones go straight to the server's
        // store (the same one its gRPC endpoint writes to), so that a slow machine cannot make them go stale meanwhile.
        for (var i = 0; i < ProbeStatusStore.MaxAgents - 5; i++)
            s.Server.Statuses.Replace(RequestGate.SingleTenant, StatusReportTests.Report($"made-up-{i:D5}", "svc", Statuses(3, 3000)), Deep.Protocol.UnixNanos.Now());
        for (var i = ProbeStatusStore.MaxAgents - 5; i < ProbeStatusStore.MaxAgents + 30; i++)
        {
            var result = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report($"made-up-{i:D5}", "svc", Statuses(3, 3000)));
            if (i < ProbeStatusStore.MaxAgents)
            {
                Assert.Equal(GrpcStatusCode.OK, result.Status);
            }
            else
            {
                Assert.Equal(GrpcStatusCode.ResourceExhausted, result.Status);
                Assert.Contains($"{ProbeStatusStore.MaxAgents} agents", result.Message, StringComparison.Ordinal);
            }
        }
        Assert.Equal((ProbeStatusStore.MaxAgents, ProbeStatusStore.MaxAgents * 3), s.Server.Statuses.Counts);

        // An agent already known keeps reporting.
        var again = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report("made-up-00000", "svc", Statuses(5, 10)));
        Assert.Equal(GrpcStatusCode.OK, again.Status);

        // /api/status answers in pages; every status comes once, each detail cut, each page bounded.
        var (all, largest, pages) = await ReadAllAsync(s);
        Assert.Equal(ProbeStatusStore.MaxAgents * 3 + 2, all.Count);
        Assert.Equal(all.Count, all.Select(a => (a.Agent, a.Id)).Distinct().Count());
        Assert.True(pages >= 3, $"{pages} pages");
        Assert.All(all, a => Assert.True(a.Status.GetProperty("detail").GetString()!.Length <= ProbeStatusStore.MaxDetailLength));
        Assert.All(all, a => Assert.True(a.Status.GetProperty("method").GetString()!.Length <= ProbeStatusStore.MaxNameLength));
        // A default page is 1,000 statuses of at most ~1,500 characters of text here.
        Assert.InRange(largest, 1, 3 * 1024 * 1024);
    }

    [Fact]
    public async Task The_total_number_of_statuses_is_capped_over_all_agents()
    {
        await using var s = await RunningServer.StartAsync();
        var perAgent = ProbeStatusStore.MaxStatusesPerReport;
        var fit = ProbeStatusStore.MaxStatuses / perAgent;
        for (var i = 0; i < fit; i++)
        {
            var ok = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report($"a{i}", "svc", Statuses(perAgent, 0)));
            Assert.Equal(GrpcStatusCode.OK, ok.Status);
        }
        var over = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report("one-more", "svc", Statuses(1, 0)));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, over.Status);
        Assert.Contains($"{ProbeStatusStore.MaxStatuses} statuses", over.Message, StringComparison.Ordinal);
        Assert.Equal((fit, ProbeStatusStore.MaxStatuses), s.Server.Statuses.Counts);

        // A known agent that reports fewer makes room.
        var fewer = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report("a0", "svc", Statuses(10, 0)));
        Assert.Equal(GrpcStatusCode.OK, fewer.Status);
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report("one-more", "svc", Statuses(1, 0)))).Status);

        // A page of the largest size stays within its bound whatever the store holds.
        using var page = await s.Http.GetAsync("/api/status?limit=5000");
        var bytes = await page.Content.ReadAsByteArrayAsync();
        Assert.InRange(bytes.Length, 1, 5000 * 400);
        using var doc = JsonDocument.Parse(bytes);
        Assert.Equal(5000, doc.RootElement.GetProperty("agents").EnumerateArray().Sum(a => a.GetProperty("tracepoints").GetArrayLength()));
        Assert.True(doc.RootElement.TryGetProperty("next", out _));
    }

    [Fact]
    public async Task Silent_agents_are_forgotten_and_make_room_for_new_ones()
    {
        await using var s = await RunningServer.StartAsync();
        var store = s.Server.Statuses;
        var longAgo = Deep.Protocol.UnixNanos.Now() - (ProbeStatusStore.StaleAfter + TimeSpan.FromSeconds(30)).Ticks * 100;
        for (var i = 0; i < ProbeStatusStore.MaxAgents; i++)
            store.Replace(RequestGate.SingleTenant, StatusReportTests.Report($"old-{i}", "svc", Statuses(2, 10)), longAgo);
        Assert.Equal((ProbeStatusStore.MaxAgents, ProbeStatusStore.MaxAgents * 2), store.Counts);

        var fresh = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report("fresh", "svc", Statuses(2, 10)));
        Assert.Equal(GrpcStatusCode.OK, fresh.Status);
        Assert.Equal((1, 2), store.Counts);
        var (all, _, _) = await ReadAllAsync(s);
        Assert.All(all, a => Assert.Equal("fresh", a.Agent));

        // And they are gone from the database, not only from the answers.
        using var connection = s.Server.Database.Open();
        Assert.Equal(2L, DeepDatabase.Scalar(connection, "SELECT COUNT(*) FROM probe_status"));
    }

    [Theory]
    [InlineData(ProbeStatusStore.MaxIdLength + 1, 1)]
    [InlineData(5, ProbeStatusStore.MaxIdLength + 1)]
    [InlineData(100_000, 1)]
    public async Task Ids_longer_than_the_limit_are_refused(int agentIdLength, int tracepointIdLength)
    {
        await using var s = await RunningServer.StartAsync();
        var report = StatusReportTests.Report(new string('a', agentIdLength), "svc", new ProbeStatus { TracepointId = new string('t', tracepointIdLength) });
        var result = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, report);
        Assert.Equal(GrpcStatusCode.ResourceExhausted, result.Status);
        Assert.Contains("characters long", result.Message, StringComparison.Ordinal);
        Assert.Equal((0, 0), s.Server.Statuses.Counts);
    }

    [Fact]
    public async Task A_report_past_the_tracepoint_limit_is_refused()
    {
        await using var s = await RunningServer.StartAsync();
        var result = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report("a", "svc", Statuses(ProbeStatusStore.MaxStatusesPerReport + 1, 0)));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, result.Status);
        Assert.Contains("10000", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_service_name_is_cut()
    {
        await using var s = await RunningServer.StartAsync();
        var result = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report("a", new string('s', 10_000), Statuses(1, 0)));
        Assert.Equal(GrpcStatusCode.OK, result.Status);
        var agent = Assert.Single((await StatusReportTests.StatusAsync(s)).GetProperty("agents").EnumerateArray());
        Assert.Equal(ProbeStatusStore.MaxNameLength, agent.GetProperty("service").GetString()!.Length);
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=5001")]
    [InlineData("?limit=-1")]
    [InlineData("?limit=many")]
    [InlineData("?after=not-a-cursor!")]
    [InlineData("?after=")]
    [InlineData("?after=MTAwOmFi")]
    public async Task Bad_paging_parameters_are_a_400(string query)
    {
        await using var s = await RunningServer.StartAsync();
        using var response = await s.Http.GetAsync("/api/status" + query);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.ErrorText()));
    }

    [Fact]
    public async Task Pages_keep_the_order_by_service_then_agent_then_tracepoint()
    {
        await using var s = await RunningServer.StartAsync();
        string[] services = ["zeta", "alpha", "mid:dle", ""];
        for (var i = 0; i < 12; i++)
            await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report($"agent-{11 - i:D2}", services[i % services.Length], Statuses(4, 5)));
        var (all, _, pages) = await ReadAllAsync(s, "?limit=5");
        Assert.Equal(10, pages);
        Assert.Equal(48, all.Count);
        var service = await ServicesByAgentAsync(s);
        var keys = all.Select(a => (Service: service[a.Agent], a.Agent, a.Id)).ToList();
        Assert.Equal(keys.OrderBy(k => k.Service, StringComparer.Ordinal).ThenBy(k => k.Agent, StringComparer.Ordinal).ThenBy(k => k.Id, StringComparer.Ordinal), keys);
        Assert.Equal(48, keys.Distinct().Count());
    }

    private static async Task<Dictionary<string, string>> ServicesByAgentAsync(RunningServer s)
    {
        var doc = await StatusReportTests.StatusAsync(s, "?limit=5000");
        return doc.GetProperty("agents").EnumerateArray().ToDictionary(a => a.GetProperty("agent").GetString()!, a => a.GetProperty("service").GetString()!);
    }

    [Fact]
    public async Task Paging_with_a_tracepoint_filter_visits_each_agent_once()
    {
        await using var s = await RunningServer.StartAsync();
        for (var i = 0; i < 25; i++)
            await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report($"agent\n{i:D2}:", "svc", Statuses(3, 5)));
        var (all, _, pages) = await ReadAllAsync(s, "?tracepoint=tp-00001&limit=7");
        Assert.Equal(4, pages);
        Assert.Equal(25, all.Select(a => a.Agent).Distinct().Count());
        Assert.All(all, a => Assert.Equal("tp-00001", a.Id));
    }
}
