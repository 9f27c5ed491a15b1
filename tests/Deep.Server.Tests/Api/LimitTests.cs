using System.Net;
using System.Text;
using System.Text.Json;
using Deep.Protocol.Grpc;
using Deep.Server.Api;
using Deep.Server.Polling;
using Deep.Server.Security;
using Deep.Server.Storage;
using Deep.Tracepoints;
using Deep.Tracepoints.Expressions;
using Deep.Server.Tests.Grpc;
using Deepdotnet.Status.V1;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Tests.Api;

/// <summary>The HTTP API's limits: each is refused with a 4xx that says which, and the server stays healthy.</summary>
public sealed class LimitTests
{
    private static string Tp(string extra) => Samples.TracepointJson("A.cs", 3, extra);

    private static async Task AssertRefusedAsync(RunningServer s, string body, int status, string expected)
    {
        var (code, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", body);
        Assert.Equal(status, code);
        Assert.Contains(expected, error.ErrorText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2147483648L)]
    [InlineData(3000000000L)]
    [InlineData(4294967295L)]
    public async Task A_line_number_past_int_max_is_a_400_naming_line_number(long line)
    {
        await using var s = await RunningServer.StartAsync();
        await AssertRefusedAsync(s, $"{{\"tracepoint\":{{\"path\":\"A.cs\",\"lineNumber\":{line}}}}}", 400, "line_number");
        Assert.Empty(s.Server.Registry.Current(RequestGate.SingleTenant).Tracepoints);
    }

    [Theory]
    [InlineData("4294967296")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("\"many\"")]
    [InlineData("1e30")]
    public async Task A_line_number_that_is_not_a_uint32_is_a_400(string line)
    {
        await using var s = await RunningServer.StartAsync();
        var (code, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", $"{{\"tracepoint\":{{\"path\":\"A.cs\",\"lineNumber\":{line}}}}}");
        Assert.Equal(400, code);
        Assert.False(string.IsNullOrWhiteSpace(error.ErrorText()));
    }

    [Fact]
    public async Task The_last_int_line_is_accepted()
    {
        await using var s = await RunningServer.StartAsync();
        await s.Http.CreateTracepointAsync($"{{\"tracepoint\":{{\"path\":\"A.cs\",\"lineNumber\":{int.MaxValue}}}}}");
    }

    [Theory]
    [InlineData("start=9223372037")]
    [InlineData("start=9223372036854775807")]
    [InlineData("end=9223372036")]
    [InlineData("end=99999999999999")]
    [InlineData("start=1&end=18446744073709551615")]
    public async Task Search_times_past_what_nanoseconds_hold_are_a_400_not_an_overflow(string query)
    {
        await using var s = await RunningServer.StartAsync();
        var (code, error) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/search?" + query);
        Assert.Equal(400, code);
        Assert.Contains("unix seconds", error.ErrorText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_at_the_last_representable_second_answers()
    {
        await using var s = await RunningServer.StartAsync();
        var (code, body) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/search?start=0&end=9223372035");
        Assert.Equal(200, code);
        Assert.Equal(JsonValueKind.Array, body.GetProperty("snapshots").ValueKind);
    }

    // The server checks syntax with the agent's own parser (Deep.Tracepoints), so both refuse the same expressions.
    private static string? SyntaxError(string expression)
    {
        try
        {
            Parser.Parse(expression);
            return null;
        }
        catch (ExpressionSyntaxException e)
        {
            return e.Describe();
        }
    }

    private static string? TemplateError(string template) => LogTemplateSyntax.Parse(template).Problems.FirstOrDefault();

    public static TheoryData<string> TooDeep()
    {
        // The whole expression is one level, so n levels of anything inside it are one too many.
        const int n = SyntaxLimits.MaxNestingDepth;
        return new TheoryData<string>
        {
            new string('(', n) + "x" + new string(')', n),
            new string('!', n) + "x",
            string.Concat(Enumerable.Repeat("- ", n)) + "x",
            string.Concat(Enumerable.Repeat("-(", n)) + "x" + new string(')', n),
            string.Concat(Enumerable.Repeat("(int)", n)) + "x",
            string.Concat(Enumerable.Repeat("s.Equals(", n)) + "x" + new string(')', n),
            // Each link of an operator chain is a level: ((a0 && a1) && a2)...
            string.Join(" && ", Enumerable.Range(0, 300).Select(i => "a" + i)),
            string.Concat(Enumerable.Repeat("a[", n)) + "0" + new string(']', n),
            string.Concat(Enumerable.Repeat("a ? b : ", n)) + "c",
            string.Concat(Enumerable.Repeat("a ?? ", n)) + "c",
            string.Concat(Enumerable.Repeat("!(", 60)) + "x" + new string(')', 60),
            new string('(', 2000) + "x" + new string(')', 2000),
        };
    }

    [Theory]
    [MemberData(nameof(TooDeep))]
    public void The_syntax_check_refuses_nesting_past_the_limit_without_recursing(string expression)
    {
        Assert.Contains("nested more than 100", SyntaxError(expression));
        Assert.Contains("nested more than 100", TemplateError("v={" + expression + "}"));
    }

    public static TheoryData<string> DeepButAllowed()
    {
        const int n = SyntaxLimits.MaxNestingDepth - 1;
        return new TheoryData<string>
        {
            new string('(', n) + "x" + new string(')', n),
            new string('!', n) + "x",
            string.Concat(Enumerable.Repeat("(int)", n)) + "x",
            // Each prefix applies to its own operand, each argument starts afresh.
            string.Join(" && ", Enumerable.Range(0, 90).Select(i => "!a" + i)),
            string.Join(" + ", Enumerable.Range(0, 90).Select(i => "-(x)")),
            "Math.Min(" + string.Join(", ", Enumerable.Range(0, 200).Select(i => "!(a ? b : c)")) + ")",
            "a?.b?.c?[0] ?? d",
            "x + y - -z",
        };
    }

    [Theory]
    [MemberData(nameof(DeepButAllowed))]
    public void The_syntax_check_accepts_deep_or_long_flat_expressions_within_the_limits(string expression)
    {
        Assert.True(expression.Length <= SyntaxLimits.MaxExpressionLength, "the sample fits the length limit");
        Assert.Null(SyntaxError(expression));
    }

    [Theory]
    [InlineData("condition")]
    [InlineData("watch")]
    [InlineData("log_msg")]
    [InlineData("metric")]
    public async Task Too_deep_or_too_long_expressions_are_a_400_wherever_they_are(string where)
    {
        await using var s = await RunningServer.StartAsync();
        string Place(string expression)
        {
            var e = JsonSerializer.Serialize(expression);
            var template = JsonSerializer.Serialize("v={" + expression + "}");
            return where switch
            {
                "condition" => Tp($",\"args\":{{\"condition\":{e}}}"),
                "watch" => Tp($",\"watches\":[\"ok\",{e}]"),
                "log_msg" => Tp($",\"args\":{{\"log_msg\":{template}}}"),
                _ => Tp($",\"metrics\":[{{\"name\":\"m\",\"expression\":{e}}}]"),
            };
        }
        await AssertRefusedAsync(s, Place(new string('(', 101) + "x" + new string(')', 101)), 400, "nested more than 100");
        await AssertRefusedAsync(s, Place(new string('!', 500) + "x"), 400, "nested more than 100");
        await AssertRefusedAsync(s, Place("x" + string.Concat(Enumerable.Repeat(" + x", 1100))), 400, "at most 4096");
        var (code, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", Place(new string('(', 2000) + "x" + new string(')', 2000)));
        Assert.Equal(400, code);
        Assert.True(error.ErrorText().Length < 1000, "the error quotes a long expression cut short");
        Assert.Empty(s.Server.Registry.Current(RequestGate.SingleTenant).Tracepoints);
        await s.Http.CreateTracepointAsync(Place(new string('(', 99) + "x" + new string(')', 99)));
    }

    [Fact]
    public async Task More_than_the_watch_limit_is_a_400()
    {
        await using var s = await RunningServer.StartAsync();
        var watches = string.Join(",", Enumerable.Range(0, TracepointSpec.MaxWatches + 1).Select(i => $"\"w{i}\""));
        await AssertRefusedAsync(s, Tp($",\"watches\":[{watches}]"), 400, "watches: the tracepoint has 101 watches; at most 100 are allowed");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_sized_or_chunked()
    {
        await using var s = await RunningServer.StartAsync();
        var big = Tp($",\"watches\":[{JsonSerializer.Serialize(new string('x', HttpApi.MaxTracepointBodyBytes))}]");
        await AssertRefusedAsync(s, big, 413, "bytes");

        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/tracepoints") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))) };
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        using var response = await s.Http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("bytes", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.ErrorText());
        Assert.Empty(s.Server.Registry.Current(RequestGate.SingleTenant).Tracepoints);
    }

    [Fact]
    public async Task The_tracepoint_past_the_count_limit_is_refused_and_a_report_on_all_of_them_is_accepted()
    {
        await using var s = await RunningServer.StartAsync();
        // The registry is the same one the API adds to; filling it through HTTP would only be slower.
        for (var i = 0; i < TracepointRegistry.MaxTracepointsPerTenant; i++)
            s.Server.Registry.Add(RequestGate.SingleTenant, new TracePointConfig { Path = "A.cs", LineNumber = (uint)(i + 1) });

        var (code, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", Tp(""));
        Assert.Equal(409, code);
        Assert.Contains("10000", error.ErrorText(), StringComparison.Ordinal);
        Assert.Equal(TracepointRegistry.MaxTracepointsPerTenant, s.Server.Registry.Current(RequestGate.SingleTenant).Tracepoints.Length);

        // An agent holding every one of them reports on all of them, and is heard.
        var all = s.Server.Registry.Current(RequestGate.SingleTenant).Tracepoints
            .Select(t => new ProbeStatus { TracepointId = t.ID, State = ProbeState.Pending, Detail = "assembly not loaded" }).ToArray();
        var result = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report("agent-1", "shop", all));
        Assert.Equal(GrpcStatusCode.OK, result.Status);
        Assert.Equal((1, TracepointRegistry.MaxTracepointsPerTenant), s.Server.Statuses.Counts);

        // Deleting one makes room for one.
        var (deleted, _) = await s.Http.SendJsonAsync(HttpMethod.Delete, "/api/tracepoints/" + all[0].TracepointId);
        Assert.Equal(200, deleted);
        await s.Http.CreateTracepointAsync(Tp(""));
    }

    [Fact]
    public async Task Tracepoints_past_the_bytes_a_poll_answer_may_carry_are_refused()
    {
        await using var s = await RunningServer.StartAsync();
        // 40 watches of 1,500 characters: about 60 KB each, so the byte budget runs out long before the count.
        var watches = string.Join(",", Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize("w" + i + new string('x', 1500))));
        var body = Tp($",\"watches\":[{watches}]");
        int created = 0, code = 200;
        JsonElement error = default;
        while (code == 200 && created < 1000)
        {
            (code, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", body);
            if (code == 200) created++;
        }
        Assert.Equal(409, code);
        Assert.Contains("bytes", error.ErrorText(), StringComparison.Ordinal);
        var stored = s.Server.Registry.Current(RequestGate.SingleTenant).Tracepoints;
        Assert.Equal(created, stored.Length);
        Assert.InRange(stored.Sum(t => (long)Google.Protobuf.MessageExtensions.ToByteArray(t).Length), 1, TracepointRegistry.MaxTracepointBytesPerTenant);
    }

    [Fact]
    public async Task A_full_store_answers_507_with_a_json_error_and_the_server_stays_healthy()
    {
        // max_page_count makes SQLite answer SQLITE_FULL exactly as a full disk does.
        await using var s = await RunningServer.StartAsync(o => o.MaxDatabasePages = 40);
        var watches = string.Join(",", Enumerable.Range(0, 20).Select(i => JsonSerializer.Serialize("w" + i + new string('x', 1000))));
        var body = Tp($",\"watches\":[{watches}]");
        var created = 0;
        int code;
        JsonElement error;
        while (true)
        {
            (code, error) = await s.Http.SendJsonAsync(HttpMethod.Post, "/api/tracepoints", body);
            if (code != 200) break;
            created++;
            Assert.True(created < 200, "the store never filled up");
        }
        Assert.Equal(507, code);
        Assert.Contains("full", error.ErrorText(), StringComparison.Ordinal);
        Assert.Equal(created, s.Server.Registry.Current(RequestGate.SingleTenant).Tracepoints.Length);

        var (echo, _) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/echo");
        Assert.Equal(200, echo);
        var (list, tracepoints) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/tracepoints");
        Assert.Equal(200, list);
        Assert.Equal(created, tracepoints.GetProperty("response").GetArrayLength());

        // A status report that does not fit either is refused by status, not by a broken connection.
        var statuses = Enumerable.Range(0, 2000).Select(i => new ProbeStatus { TracepointId = "t" + i, Detail = new string('d', 500) }).ToArray();
        var report = await s.Grpc.CallAsync(DeepDotnetMethods.ReportStatus, StatusReportTests.Report("a", "shop", statuses));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, report.Status);
        Assert.Contains("full", report.Message, StringComparison.Ordinal);
        Assert.Equal((0, 0), s.Server.Statuses.Counts);
    }
}
