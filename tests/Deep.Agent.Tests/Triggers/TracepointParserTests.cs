using Deep.Agent.Actions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Triggers;
using Deep.Agent.Tests.Probes;
using Deep.Protocol;

namespace Deep.Agent.Tests.Triggers;

public class TracepointParserTests
{
    private static ParsedTracepoint Parse(params (string, string)[] args) => Parse(ProbeTestSupport.Tracepoint("tp", "OrderService.cs", 42, args));

    private static ParsedTracepoint Parse(TracePointConfig tp) => TracepointParser.Parse(tp, Collected.Context(new Collected()));

    [Fact]
    public void A_plain_tracepoint_is_one_snapshot_action_before_the_line()
    {
        var p = Parse();
        Assert.Null(p.Error);
        Assert.Equal(new LocationKey("OrderService.cs", 42, null, null, TracepointStage.LineStart), p.Location);
        var action = Assert.Single(p.Actions);
        Assert.Equal(ActionKind.Snapshot, action.Kind);
    }

    [Fact]
    public void No_collect_with_a_log_message_is_a_log_only_action()
    {
        var p = Parse(("snapshot", "no_collect"), ("log_msg", "hello {x}"));
        Assert.Equal(ActionKind.Log, Assert.Single(p.Actions).Kind);
    }

    [Fact]
    public void Metrics_and_span_add_their_own_actions_each_with_its_own_counter()
    {
        var tp = ProbeTestSupport.Tracepoint("tp", "OrderService.cs", 42, ("span", "line"));
        tp.Metrics.Add(new Metric { Name = "orders", Type = MetricType.Counter });
        var p = Parse(tp);
        Assert.Equal([ActionKind.Snapshot, ActionKind.Metric, ActionKind.Span], p.Actions.Select(a => a.Kind));
        Assert.Equal(3, p.Actions.Select(a => a.Limiter).Distinct().Count());
    }

    [Fact]
    public void No_collect_without_anything_else_is_rejected_as_having_no_action()
    {
        var p = Parse(("snapshot", "no_collect"));
        Assert.Contains("no action", p.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stage", "line_middle", "unknown stage 'line_middle'")]
    [InlineData("fire_period", "soon", "fire_period 'soon'")]
    [InlineData("window_start", "yesterday", "window_start 'yesterday'")]
    [InlineData("snapshot", "maybe", "snapshot 'maybe'")]
    [InlineData("frame_type", "some_frames", "frame_type 'some_frames'")]
    [InlineData("stack_type", "heap", "stack_type 'heap'")]
    [InlineData("span", "forever", "span 'forever'")]
    [InlineData("MAX_VAR_DEPTH", "deep", "MAX_VAR_DEPTH 'deep'")]
    [InlineData("MAX_VAR_DEPTH", "0", "MAX_VAR_DEPTH '0' is not a positive whole number")]
    [InlineData("MAX_VARIABLES", "-3", "MAX_VARIABLES '-3' is not a positive whole number")]
    [InlineData("stage", "method_start", "needs method_name")]
    public void A_malformed_argument_rejects_the_tracepoint_with_a_clear_error(string key, string value, string expected)
    {
        var p = Parse((key, value));
        Assert.NotNull(p.Error);
        Assert.Contains(expected, p.Error, StringComparison.Ordinal);
        Assert.Empty(p.Actions);
    }

    [Fact]
    public void A_capture_limit_with_spaces_around_it_is_applied_as_the_server_accepted_it()
    {
        // The server trims the value before validating; the agent must then apply it, not fall back to the default.
        var p = Parse(("MAX_STRING_LENGTH", " 16 "));
        Assert.Null(p.Error);
        var snapshot = Assert.IsType<SnapshotAction>(Assert.Single(p.Actions));
        Assert.Equal(16, snapshot.Limits.MaxStringLength);
    }

    [Fact]
    public void A_non_numeric_fire_count_falls_back_to_one()
    {
        var action = Assert.Single(Parse(("fire_count", "lots"), ("fire_period", "0")).Actions);
        Assert.True(action.Limiter.TryAcquire());
        Assert.False(action.Limiter.TryAcquire());
    }

    [Fact]
    public void Method_name_makes_a_method_location_starting_at_method_start()
    {
        var p = Parse(("method_name", "PlaceOrder"), ("class_name", "Shop.OrderService"));
        Assert.Equal(new LocationKey("OrderService.cs", 42, "PlaceOrder", "Shop.OrderService", TracepointStage.MethodStart), p.Location);
    }

    [Theory]
    [InlineData("line_end", TracepointStage.LineEnd)]
    [InlineData("line_capture", TracepointStage.LineCapture)]
    public void Line_end_and_capture_stages_are_honoured(string stage, object expected)
    {
        // Defect 2: *_capture stages were silently ignored for server tracepoints. (object: TracepointStage is internal.)
        Assert.Equal((TracepointStage)expected, Parse(("stage", stage)).Location!.Stage);
    }

    [Theory]
    [InlineData("1700000000", 1_700_000_000_000L)]
    [InlineData("1700000000000", 1_700_000_000_000L)]
    [InlineData("1700000000.5", 1_700_000_000_500L)]
    public void Windows_accept_epoch_seconds_and_milliseconds(string text, long expectedMs)
    {
        Assert.True(Deep.Tracepoints.TracepointSpec.TryParseEpochMs(text, out var ms));
        Assert.Equal(expectedMs, ms);
    }

    [Fact]
    public void Per_tracepoint_limits_override_the_agent_defaults()
    {
        // Defect 2: per-tracepoint MAX_* limits were silently ignored.
        var p = Parse(("MAX_VAR_DEPTH", "2"), ("MAX_VARIABLES", "7"), ("MAX_COLLECTION_SIZE", "3"), ("MAX_STRING_LENGTH", "16"), ("MAX_TP_PROCESS_TIME", "5"));
        var snapshot = Assert.IsType<SnapshotAction>(Assert.Single(p.Actions));
        Assert.Equal(new Deep.Agent.Capture.CaptureLimits(2, 7, 3, 16, 5), snapshot.Limits);
    }

    [Fact]
    public void No_stack_is_honoured()
    {
        // Defect 2: stack_type was ignored.
        var snapshot = Assert.IsType<SnapshotAction>(Assert.Single(Parse(("stack_type", "no_stack")).Actions));
        Assert.False(snapshot.IncludeStack);
    }

    [Theory]
    [InlineData(2147483648u, null)]
    [InlineData(2147483648u, "PlaceOrder")]
    [InlineData(3000000000u, null)]
    [InlineData(uint.MaxValue, null)]
    [InlineData(uint.MaxValue, "PlaceOrder")]
    public void A_line_number_past_int_MaxValue_is_rejected_not_wrapped(uint line, string? method)
    {
        // Issue #12 item 9: 2^31 used to become line -2147483648.
        var tp = ProbeTestSupport.Tracepoint("tp", "OrderService.cs", line, method is null ? [] : [("method_name", method)]);
        var p = Parse(tp);
        Assert.Null(p.Location);
        Assert.Empty(p.Actions);
        Assert.Equal($"line_number {line} is larger than any line a file can have (2147483647)", p.Error);
    }

    [Fact]
    public void The_largest_line_number_that_fits_is_accepted()
    {
        var p = Parse(ProbeTestSupport.Tracepoint("tp", "OrderService.cs", int.MaxValue));
        Assert.Null(p.Error);
        Assert.Equal(int.MaxValue, p.Location!.Line);
    }
}
