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
        Assert.Contains(id, error.ErrorText());
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
    [InlineData("not json", "tracepoint", "not valid JSON")]
    [InlineData("[1]", "tracepoint", "must be a JSON object")]
    [InlineData("{\"path\":\"A.cs\"}", "tracepoint", "no \\\"tracepoint\\\"")]
    [InlineData("{\"tracepoint\":{\"lineNumber\":3}}", "path", "has no path")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\"}}", "line_number", "has no line_number")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":\"twelve\"}}", "line_number", "cannot be read")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"line_number\":[3]}}", "line_number", "cannot be read")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"stage\":\"line_middle\"}}}", "args.stage", "unknown stage 'line_middle'")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"fire_count\":\"-2\"}}}", "args.fire_count", "must be -1 (unlimited) or more")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"fire_period\":\"-1\"}}}", "args.fire_period", "is not a non-negative")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"condition\":\"(a > 1\"}}}", "args.condition", "'(a > 1' is malformed")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"log_msg\":\"total {order.Total\"}}}", "args.log_msg", "is malformed")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"watches\":[\"a.\"]}}", "watches[0]", "'a.' is malformed")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"snapshot\":\"maybe\"}}}", "args.snapshot", "'maybe' must be collect or no_collect")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"MAX_VAR_DEPTH\":\"0\"}}}", "args.MAX_VAR_DEPTH", "'0' is not a positive")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"MAX_STRING_LENGTH\":\"-5\"}}}", "args.MAX_STRING_LENGTH", "'-5' is not a positive")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":{\"fire_count\":5}}}", "args.fire_count", "cannot be read")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"args\":[\"x\"]}}", "args", "cannot be read")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"metrics\":[{\"expression\":\"x\"}]}}", "metrics[0].name", "has no name")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"metrics\":[{\"name\":\"m\",\"expression\":\"x +\"}]}}", "metrics[0].expression", "'x +' is malformed")]
    [InlineData("{\"tracepoint\":{\"path\":\"A.cs\",\"lineNumber\":3,\"targeting\":{\"key\":\"a\"}}}", "targeting", "cannot be read")]
    public async Task Invalid_tracepoints_get_a_400_naming_the_field_and_saying_what_is_wrong(string body, string field, string expected)
    {
        await using var s = await RunningServer.StartAsync();
        var (status, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", body);
        Assert.Equal(400, status);
        var only = Assert.Single(error.Errors());
        Assert.Equal(field, only.Field);
        Assert.Contains(expected.Replace("\\\"", "\""), only.Message, StringComparison.Ordinal);
        var (_, list) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/tracepoints");
        Assert.False(list.TryGetProperty("response", out _));
    }

    [Theory]
    // Every problem the checks find, in the order of the checks (a non-numeric fire_count is not one: it falls back to 1, spec §2).
    [InlineData("{\"path\":\" \",\"args\":{\"fire_count\":\"x\",\"condition\":\"a ==\"},\"watches\":[\"ok\",\"b[\"],"
        + "\"metrics\":[{\"name\":\"m\"},{\"name\":\"\",\"expression\":\")\"}]}",
        "path line_number args.condition watches[1] metrics[1].name metrics[1].expression")]
    // Every field the protobuf JSON parser cannot read, not just the first; an unknown one is ignored.
    [InlineData("{\"path\":\"A.cs\",\"lineNumber\":\"twelve\",\"args\":{\"condition\":\"x\",\"fire_count\":[1]},"
        + "\"watches\":[\"a\",7,\"b\"],\"metrics\":[{\"name\":\"m\",\"expression\":7}],\"unknown\":{}}",
        "line_number args.fire_count watches[1] metrics[0].expression")]
    public async Task Every_problem_of_a_tracepoint_is_listed_each_with_its_field(string tracepoint, string fields)
    {
        await using var s = await RunningServer.StartAsync();
        var (status, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", "{\"tracepoint\":" + tracepoint + "}");
        Assert.Equal(400, status);
        Assert.Equal(fields.Split(' '), error.Errors().Select(e => e.Field));
    }

    [Fact]
    public async Task A_tracepoint_with_thousands_of_problems_lists_the_first_hundred_and_counts_the_rest()
    {
        await using var s = await RunningServer.StartAsync();
        // 1,500 metrics without a name and with a malformed expression: two problems each (watches stop at one, the count).
        var metrics = string.Join(",", Enumerable.Repeat("{\"expression\":\"(\"}", 1500));
        var (status, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", Samples.TracepointJson(extra: $",\"metrics\":[{metrics}]"));
        Assert.Equal(400, status);
        var errors = error.Errors();
        Assert.Equal(Deep.Server.Api.HttpApi.MaxErrorsListed + 1, errors.Count);
        Assert.Equal(("tracepoint", $"{3000 - Deep.Server.Api.HttpApi.MaxErrorsListed} more problems are not listed; correct these first"), errors[^1]);
    }

    [Fact]
    public async Task Errors_that_are_about_no_field_have_no_field()
    {
        await using var s = await RunningServer.StartAsync();
        var (status, error) = await s.Http.SendJsonAsync(HttpMethod.Delete, "/api/tracepoints/nope");
        Assert.Equal(404, status);
        Assert.Null(Assert.Single(error.Errors()).Field);
        var (badLimit, limitError) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/snapshots?limit=0");
        Assert.Equal(400, badLimit);
        Assert.Equal("limit", Assert.Single(limitError.Errors()).Field);
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
