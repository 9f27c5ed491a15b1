using System.Text.Json;

namespace Deep.Server.Tests.Api;

public sealed class TracepointApiTests
{
    [Fact]
    public async Task Creating_a_tracepoint_answers_it_with_a_new_uuid_replacing_any_given_id()
    {
        await using var s = await RunningServer.StartAsync();
        var (status, body) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints",
            "{\"tracepoint\":{\"ID\":\"mine\",\"path\":\"A.cs\",\"line_number\":7,\"args\":{\"fire_count\":\"3\"},\"watches\":[\"x\"]}}");
        Assert.Equal(200, status);
        var tp = body.GetProperty("tracepoint");
        var id = tp.GetProperty("ID").GetString()!;
        Assert.NotEqual("mine", id);
        Assert.Equal(4, Guid.Parse(id).Version);
        Assert.Equal("A.cs", tp.GetProperty("path").GetString());
        Assert.Equal(7, tp.GetProperty("lineNumber").GetInt32());
        Assert.Equal("3", tp.GetProperty("args").GetProperty("fire_count").GetString());
    }

    [Fact]
    public async Task Get_tracepoints_is_a_poll_response_in_protobuf_json()
    {
        await using var s = await RunningServer.StartAsync();
        var id = await s.Http.CreateTracepointAsync(Samples.TracepointJson());
        var (status, body) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/tracepoints");
        Assert.Equal(200, status);
        Assert.Equal(Grpc.PollTests.Fnv1(id), body.GetProperty("currentHash").GetString());
        Assert.Equal(JsonValueKind.String, body.GetProperty("tsNanos").ValueKind);
        Assert.Equal("UPDATE", body.GetProperty("responseType").GetString());
        Assert.Equal(id, body.GetProperty("response")[0].GetProperty("ID").GetString());
    }

    [Fact]
    public async Task Get_tracepoints_uses_query_parameters_as_the_resource_for_targeting()
    {
        await using var s = await RunningServer.StartAsync();
        await s.Http.CreateTracepointAsync(Samples.TracepointJson(extra: ",\"targeting\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"shop\"}}]"));
        var (_, other) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/tracepoints?service.name=billing");
        var (_, shop) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/tracepoints?service.name=shop");
        Assert.False(other.TryGetProperty("response", out _));
        Assert.Equal(1, shop.GetProperty("response").GetArrayLength());
    }

    [Fact]
    public async Task Deleting_a_tracepoint_removes_it_and_unknown_ids_are_404()
    {
        await using var s = await RunningServer.StartAsync();
        var id = await s.Http.CreateTracepointAsync(Samples.TracepointJson());
        var (status, body) = await s.Http.SendJsonAsync(HttpMethod.Delete, "/api/tracepoints/" + id);
        Assert.Equal(200, status);
        Assert.Equal("{}", body.GetRawText());
        var (_, list) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/tracepoints");
        Assert.Equal("2166136261", list.GetProperty("currentHash").GetString());
        var (again, error) = await s.Http.SendJsonAsync(HttpMethod.Delete, "/api/tracepoints/" + id);
        Assert.Equal(404, again);
        Assert.Contains(id, error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Tracepoints_survive_a_restart_in_creation_order()
    {
        var dir = TempDir.Create();
        string a, b;
        await using (var s = await RunningServer.StartAsync(dataDirectory: dir))
        {
            a = await s.Http.CreateTracepointAsync(Samples.TracepointJson(line: 1));
            b = await s.Http.CreateTracepointAsync(Samples.TracepointJson(line: 2));
        }
        await using var restarted = await RunningServer.StartAsync(dataDirectory: dir);
        var (_, body) = await restarted.Http.SendJsonAsync(HttpMethod.Get, "/api/tracepoints");
        Assert.Equal([a, b], body.GetProperty("response").EnumerateArray().Select(t => t.GetProperty("ID").GetString()));
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("{\"path\":\"A.cs\"}", "no \\\"tracepoint\\\"")]
    [InlineData("{\"tracepoint\":{\"lineNumber\":3}}", "no path")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\"}}", "no line_number")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":\"twelve\"}}", "not valid")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"stage\":\"line_middle\"}}}", "unknown stage 'line_middle'")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"fire_count\":\"-2\"}}}", "args.fire_count '-2' must be -1 (unlimited) or more")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"condition\":\"(a > 1\"}}}", "condition '(a > 1' is malformed")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"log_msg\":\"total {order.Total\"}}}", "log_msg")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"watches\":[\"a.\"]}}", "watch 1 'a.' is malformed")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"snapshot\":\"maybe\"}}}", "args.snapshot 'maybe'")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"MAX_VAR_DEPTH\":\"0\"}}}", "args.MAX_VAR_DEPTH '0' is not a positive whole number")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"MAX_STRING_LENGTH\":\"-5\"}}}", "args.MAX_STRING_LENGTH '-5' is not a positive whole number")]
    public async Task Invalid_tracepoints_get_a_400_that_says_what_is_wrong(string body, string expected)
    {
        await using var s = await RunningServer.StartAsync();
        var (status, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", body);
        Assert.Equal(400, status);
        Assert.Contains(expected.Replace("\\\"", "\""), error.GetProperty("error").GetString());
        var (_, list) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/tracepoints");
        Assert.False(list.TryGetProperty("response", out _));
    }

    [Fact]
    public async Task A_method_tracepoint_needs_no_line()
    {
        await using var s = await RunningServer.StartAsync();
        var (status, _) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints",
            "{\"tracepoint\":{\"path\":\"A.cs\",\"args\":{\"method_name\":\"Place\",\"stage\":\"method_capture\",\"log_msg\":\"took {{ {duration} }}\"}}}");
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Echo_answers()
    {
        await using var s = await RunningServer.StartAsync();
        var (status, _) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/echo");
        Assert.Equal(200, status);
    }
}
