using Deep.Tracepoints.Expressions;

namespace Deep.Tracepoints.Tests;

/// <summary>The one reading of a tracepoint's arguments: defaults, every field's errors (several shapes each), all at once.</summary>
public class TracepointSpecTests
{
    private static TracepointSpec Spec(params (string Key, string Value)[] args) =>
        Spec("OrderService.cs", 42, args);

    private static TracepointSpec Spec(string? path, uint line, (string Key, string Value)[] args, string[]? watches = null, MetricInput[]? metrics = null) =>
        TracepointSpec.Parse(new TracepointInput(path, line, args.ToDictionary(a => a.Key, a => a.Value), watches ?? [], metrics ?? []));

    private static FieldError OnlyError(TracepointSpec spec) => Assert.Single(spec.Errors);

    [Fact]
    public void At_most_MaxWatches_watches_and_more_is_one_error_without_parsing_them()
    {
        Assert.Empty(Spec("A.cs", 3, [], Enumerable.Repeat("order.Total", TracepointSpec.MaxWatches).ToArray()).Errors);
        // 101 malformed watches: one error about the count, none per watch (an agent does not parse what it refuses).
        var tooMany = Spec("A.cs", 3, [], Enumerable.Repeat("order.(", TracepointSpec.MaxWatches + 1).ToArray());
        Assert.Equal(new FieldError("watches", "the tracepoint has 101 watches; at most 100 are allowed"), OnlyError(tooMany));
        Assert.Empty(tooMany.Watches);
    }

    [Fact]
    public void A_bare_line_tracepoint_has_the_defaults_of_spec_section_2()
    {
        var s = Spec();
        Assert.Empty(s.Errors);
        Assert.Equal(("OrderService.cs", 42, TracepointStage.LineStart), (s.Path, s.Line, s.Stage));
        Assert.Equal((1, 1000L, (long?)null, (long?)null), (s.FireCount, s.FirePeriodMs, s.WindowStartMs, s.WindowEndMs));
        Assert.True(s.CollectSnapshot);
        Assert.True(s.IncludeStack);
        Assert.Equal(FrameType.SingleFrame, s.FrameType);
        Assert.Null(s.Span);
        Assert.Equal(CaptureLimitOverrides.None, s.Limits);
        Assert.Null(s.Condition);
        Assert.Empty(s.Watches);
        Assert.Null(s.LogMessage);
        Assert.True(s.HasSnapshotAction);
        Assert.False(s.HasLogAction || s.HasMetricAction || s.HasSpanAction);
        Assert.Equal("OrderService.cs:42", s.SpanName);
    }

    [Fact]
    public void Every_argument_is_read_into_its_typed_value()
    {
        var s = Spec(("method_name", " Place "), ("class_name", "Shop.Orders"), ("stage", "method_capture"), ("fire_count", "-1"),
            ("fire_period", "0"), ("window_start", "1700000000"), ("window_end", "1700000000500"), ("snapshot", "no_collect"),
            ("log_msg", "total {order.Total}"), ("frame_type", "all_frame"), ("stack_type", "no_stack"), ("span", "method"),
            ("span_name", "placing"), ("MAX_VAR_DEPTH", "2"), ("MAX_VARIABLES", "7"), ("MAX_COLLECTION_SIZE", " 3 "),
            ("MAX_STRING_LENGTH", "16"), ("MAX_TP_PROCESS_TIME", "5"), ("condition", "order.Total > 10"), ("unknown", "kept"));
        Assert.Empty(s.Errors);
        Assert.Equal(("Place", "Shop.Orders", TracepointStage.MethodCapture), (s.MethodName, s.ClassName, s.Stage));
        Assert.Equal((-1, 0L, (long?)1_700_000_000_000L, (long?)1_700_000_000_500L), (s.FireCount, s.FirePeriodMs, s.WindowStartMs, s.WindowEndMs));
        Assert.False(s.CollectSnapshot);
        Assert.Equal(FrameType.AllFrame, s.FrameType);
        Assert.False(s.IncludeStack);
        Assert.Equal(SpanScope.Method, s.Span);
        Assert.Equal("placing", s.SpanName);
        Assert.Equal(new CaptureLimitOverrides(2, 7, 3, 16, 5), s.Limits);
        Assert.IsType<BinarySyntax>(s.Condition!.Root);
        Assert.Equal("total {order.Total}", s.LogMessage!.Template);
        Assert.True(s.HasLogAction && s.HasSpanAction && !s.HasSnapshotAction);
    }

    [Fact]
    public void A_method_tracepoint_needs_no_line_and_starts_at_method_start()
    {
        var s = Spec(null, 0, [("method_name", "Place")]);
        Assert.Single(s.Errors, e => e.Field == "path");
        s = Spec("A.cs", 0, [("method_name", "Place")]);
        Assert.Empty(s.Errors);
        Assert.Equal(TracepointStage.MethodStart, s.Stage);
        Assert.Equal("Place", s.SpanName);
    }

    [Theory]
    [InlineData(null, 3u, "path", "no path")]
    [InlineData("  ", 3u, "path", "no path")]
    [InlineData("A.cs", 0u, "line_number", "no line_number")]
    [InlineData("A.cs", 2147483648u, "line_number", "line_number 2147483648 is larger than any line a file can have (2147483647)")]
    [InlineData("A.cs", uint.MaxValue, "line_number", "larger than any line")]
    public void The_location_is_checked(string? path, uint line, string field, string message)
    {
        var e = OnlyError(Spec(path, line, []));
        Assert.Equal(field, e.Field);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stage", "line_middle", "unknown stage 'line_middle' (expected line_start, line_end, line_capture, method_start, method_end or method_capture)")]
    [InlineData("stage", "LINE_START", "unknown stage 'LINE_START'")]
    [InlineData("stage", "method_end", "stage 'method_end' needs method_name")]
    [InlineData("fire_count", "-2", "args.fire_count '-2' must be -1 (unlimited) or more")]
    [InlineData("fire_count", "99999999999", "args.fire_count '99999999999' is too large")]
    [InlineData("fire_period", "soon", "args.fire_period 'soon' is not a non-negative number of milliseconds")]
    [InlineData("fire_period", "-1", "args.fire_period '-1'")]
    [InlineData("fire_period", "1.5", "args.fire_period '1.5'")]
    [InlineData("window_start", "yesterday", "args.window_start 'yesterday' is not an epoch time")]
    [InlineData("window_start", "-5", "args.window_start '-5'")]
    [InlineData("window_end", "NaN", "args.window_end 'NaN'")]
    [InlineData("snapshot", "maybe", "args.snapshot 'maybe' must be collect or no_collect")]
    [InlineData("snapshot", "Collect", "args.snapshot 'Collect'")]
    [InlineData("frame_type", "some_frames", "args.frame_type 'some_frames' must be single_frame, all_frame or no_frame")]
    [InlineData("stack_type", "heap", "args.stack_type 'heap' must be stack or no_stack")]
    [InlineData("span", "forever", "args.span 'forever' must be line or method")]
    [InlineData("MAX_VAR_DEPTH", "deep", "args.MAX_VAR_DEPTH 'deep' is not a positive whole number")]
    [InlineData("MAX_VARIABLES", "0", "args.MAX_VARIABLES '0' is not a positive whole number")]
    [InlineData("MAX_COLLECTION_SIZE", "-3", "args.MAX_COLLECTION_SIZE '-3'")]
    [InlineData("MAX_STRING_LENGTH", "1e3", "args.MAX_STRING_LENGTH '1e3'")]
    [InlineData("MAX_TP_PROCESS_TIME", "4294967296", "args.MAX_TP_PROCESS_TIME '4294967296'")]
    [InlineData("condition", "(a > 1", "condition '(a > 1' is malformed: unexpected end of expression; expected ')' (at position 7)")]
    [InlineData("condition", "a = 1", "condition 'a = 1' is malformed: assignment is not allowed in expressions (at position 3)")]
    [InlineData("condition", "Save()", "method 'Save' is not allowed")]
    [InlineData("log_msg", "total {order.Total", "log_msg 'total {order.Total' is malformed: unclosed '{' at position 7")]
    [InlineData("log_msg", "a }", "unmatched '}'")]
    [InlineData("log_msg", "{x.}", "'{x.}': unexpected end of expression")]
    public void A_malformed_argument_is_an_error_on_its_field(string key, string value, string message)
    {
        var e = OnlyError(Spec((key, value)));
        Assert.Equal("args." + key, e.Field);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("1.5")]
    [InlineData("")]
    public void A_non_numeric_fire_count_falls_back_to_the_default(string value)
    {
        var s = Spec(("fire_count", value));
        Assert.Empty(s.Errors);
        Assert.Equal(1, s.FireCount);
    }

    [Theory]
    [InlineData("condition", "  ")]
    [InlineData("stage", "")]
    [InlineData("snapshot", " ")]
    public void A_blank_argument_is_absent(string key, string value)
    {
        var s = Spec((key, value));
        Assert.Empty(s.Errors);
        Assert.Null(s.Condition);
        Assert.Equal(TracepointStage.LineStart, s.Stage);
        Assert.True(s.CollectSnapshot);
    }

    [Theory]
    [InlineData("1700000000", 1_700_000_000_000L)]
    [InlineData("1700000000000", 1_700_000_000_000L)]
    [InlineData("1700000000.5", 1_700_000_000_500L)]
    [InlineData("0", 0L)]
    public void Windows_accept_epoch_seconds_and_milliseconds(string text, long expectedMs)
    {
        Assert.Equal(expectedMs, Spec(("window_start", text)).WindowStartMs);
    }

    [Fact]
    public void A_window_that_ends_before_it_starts_is_an_error()
    {
        var e = OnlyError(Spec(("window_start", "1700000100"), ("window_end", "1700000000")));
        Assert.Equal("args.window_end", e.Field);
    }

    [Fact]
    public void Watches_are_parsed_and_each_bad_one_is_named_by_its_index()
    {
        var s = Spec("A.cs", 3, [], ["order.Total", "a.", "", "x ="]);
        Assert.Equal(["watches[1]", "watches[2]", "watches[3]"], s.Errors.Select(e => e.Field));
        Assert.Equal("watch 2 'a.' is malformed: unexpected end of expression; expected a member name (at position 3)", s.Errors[0].Message);
        Assert.Contains("the expression is empty", s.Errors[1].Message, StringComparison.Ordinal);
        Assert.Equal("order.Total", Assert.Single(s.Watches).Source);
    }

    [Fact]
    public void Metrics_are_parsed_and_each_bad_part_is_named()
    {
        var s = Spec("A.cs", 3, [], metrics:
        [
            new MetricInput("orders", "order.Total", [new LabelInput("region", "order.Region"), new LabelInput("static", null)]),
            new MetricInput(" ", null, []),
            new MetricInput("bad", "(1", [new LabelInput("k", "a +")]),
            new MetricInput("count", "  ", []),
        ]);
        Assert.Equal(["metrics[1].name", "metrics[2].expression", "metrics[2].label_expressions[0]"], s.Errors.Select(e => e.Field));
        Assert.Contains("metric 'bad' expression '(1' is malformed", s.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("metric 'bad' label 'k' expression 'a +' is malformed", s.Errors[2].Message, StringComparison.Ordinal);
        Assert.Equal("order.Total", s.Metrics[0].Expression!.Source);
        Assert.Equal("order.Region", s.Metrics[0].Labels[0].Expression!.Source);
        Assert.Null(s.Metrics[0].Labels[1].Expression);
        // A blank value expression is the default value 1.
        Assert.Null(s.Metrics[3].Expression);
    }

    [Fact]
    public void A_tracepoint_that_does_nothing_is_an_error()
    {
        var e = OnlyError(Spec(("snapshot", "no_collect")));
        Assert.Equal("tracepoint", e.Field);
        Assert.Contains("no action", e.Message, StringComparison.Ordinal);
        Assert.Empty(Spec(("snapshot", "no_collect"), ("span", "line")).Errors);
        Assert.Empty(Spec("A.cs", 3, [("snapshot", "no_collect")], metrics: [new MetricInput("m", null, [])]).Errors);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var s = Spec(null, 0, [("stage", "later"), ("fire_period", "x"), ("snapshot", "maybe"), ("MAX_VAR_DEPTH", "0"), ("condition", "a +"), ("log_msg", "{")],
            ["b."], [new MetricInput("", "(", [])]);
        Assert.Equal(
            ["path", "line_number", "args.stage", "args.fire_period", "args.snapshot", "args.MAX_VAR_DEPTH", "args.condition", "watches[0]", "args.log_msg", "metrics[0].name", "metrics[0].expression"],
            s.Errors.Select(e => e.Field));
    }

    [Fact]
    public void A_long_expression_is_quoted_short_in_its_error()
    {
        var e = OnlyError(Spec(("condition", new string('(', 3000))));
        Assert.True(e.Message.Length < 400, e.Message);
    }
}
