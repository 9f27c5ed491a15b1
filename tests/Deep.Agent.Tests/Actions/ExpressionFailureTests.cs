using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Reflection.Emit;
using Deep.Agent.Actions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Settings;
using Deep.Agent.Status;
using Deep.Agent.Tests.Probes;
using Deep.Agent.Tests.Status;
using Deep.Agent.Transport;
using Deep.Agent.Triggers;
using Deep.Protocol;

namespace Deep.Agent.Tests.Actions;

/// <summary>
/// An expression that does not bind at the probed line fails alone: a watch is its error_result in every snapshot,
/// a log part renders as <c>{expression: reason}</c>, a metric is skipped; a condition, or a malformed expression,
/// still rejects its tracepoint. The probe status names what failed and why.
/// </summary>
public sealed class ExpressionFailureTests : TriggeredActionTests
{
    // BindingEngine's layout has `int x` and `string name`.
    [Theory]
    [InlineData("removedLocal", "unknown name 'removedLocal' (at position 1)")]
    [InlineData("name.GetHashCode()", "is not allowed in expressions")]
    [InlineData("name * 2", "operator '*' cannot be applied")]
    [InlineData("x.NoSuchField", "NoSuchField")]
    public void A_watch_that_does_not_bind_is_its_error_result_in_every_snapshot_and_the_rest_is_captured(string bad, string reason)
    {
        var tp = Tp("a");
        tp.Watches.Add("x * 2");
        tp.Watches.Add(bad);
        tp.Watches.Add("name.Length");
        var probe = Apply(tp);
        Assert.True(BindingEngine.Hit(probe, 21, "widget"));
        Assert.True(BindingEngine.Hit(probe, 5, "abc"));

        Assert.Equal(2, _collected.Snapshots.Count);
        var expected = new[] { ("42", "6"), ("10", "3") };
        foreach (var (s, (doubled, length)) in _collected.Snapshots.Zip(expected))
        {
            Assert.Equal(["x * 2", bad, "name.Length"], s.Watches.Where(w => w.Source == WatchSource.Watch).Select(w => w.Expression));
            Assert.Equal(doubled, s.VarLookup[s.Watches.Single(w => w.Expression == "x * 2").GoodResult!.ID].Value);
            Assert.Equal(length, s.VarLookup[s.Watches.Single(w => w.Expression == "name.Length").GoodResult!.ID].Value);
            var failed = s.Watches.Single(w => w.Expression == bad);
            Assert.Equal(WatchResultCase.ErrorResult, failed.ResultCase);
            Assert.Contains(reason, failed.ErrorResult, StringComparison.Ordinal);
            Assert.Equal(["x", "name"], s.Frames[0].Variables.Select(v => v.Name));
        }
        var action = Assert.Single(ProbeRuntime.Table.ArmedActions(probe));
        Assert.Null(action.PrepareError);
        var failure = Assert.Single(action.FailedExpressions);
        Assert.StartsWith($"watch '{bad}': ", failure, StringComparison.Ordinal);
        Assert.Contains(reason, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x +", "unexpected end of expression")]
    [InlineData("x = 1", "assignment is not allowed")]
    [InlineData("\"abc", "unterminated string literal")]
    [InlineData("new object()", "'new' is not allowed")]
    public void A_watch_with_a_syntax_error_rejects_its_tracepoint_as_the_server_does(string bad, string reason)
    {
        var rejected = Tp("bad");
        rejected.Watches.Add("x");
        rejected.Watches.Add(bad);
        var probe = Apply(Tp("good"), rejected);
        Assert.True(BindingEngine.Hit(probe, 1, "n"));
        Assert.Equal(["good"], _collected.Snapshots.Select(s => s.Tracepoint!.ID));
        // Malformed text is refused when the tracepoint is read (TracepointSpec), before any action is built.
        var parsed = _handler.Current().Single(t => t.Tracepoint.Tracepoint.ID == "bad").Tracepoint;
        Assert.Empty(parsed.Actions);
        Assert.StartsWith($"watch 2 '{bad}' is malformed: ", parsed.Error, StringComparison.Ordinal);
        Assert.Contains(reason, parsed.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nosuch > 1", "unknown name 'nosuch'")]
    [InlineData("name.GetHashCode() > 1", "is not allowed in expressions")]
    [InlineData("name > 1", "operator '>' cannot")]
    public void A_condition_that_does_not_bind_still_rejects_its_tracepoint(string condition, string reason)
    {
        var probe = Apply(Tp("good"), Tp("bad", ("condition", condition)));
        Assert.True(BindingEngine.Hit(probe, 1, "n"));
        Assert.Equal(["good"], _collected.Snapshots.Select(s => s.Tracepoint!.ID));
        var action = _handler.Current().Single(t => t.Tracepoint.Tracepoint.ID == "bad").Tracepoint.Actions.Single();
        Assert.StartsWith($"condition '{condition}': ", action.PrepareError, StringComparison.Ordinal);
        Assert.Contains(reason, action.PrepareError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_part_that_does_not_bind_renders_as_its_name_and_reason_and_the_line_is_written()
    {
        var probe = Apply(Tp("a", ("log_msg", "order {name} total={removedLocal} bad={name * 2} x={x}")));
        Assert.True(BindingEngine.Hit(probe, 7, "widget"));
        var s = Assert.Single(_collected.Snapshots);
        Assert.StartsWith("order widget total={removedLocal: unknown name 'removedLocal' (at position 1)} bad={name * 2: operator '*' cannot be applied", s.LogMsg, StringComparison.Ordinal);
        Assert.EndsWith("} x=7", s.LogMsg, StringComparison.Ordinal);
        Assert.Equal(s.LogMsg, Assert.Single(_collected.Logs).Message);
        var logWatch = s.Watches.Single(w => w.Source == WatchSource.Log && w.Expression == "removedLocal");
        Assert.Equal(WatchResultCase.ErrorResult, logWatch.ResultCase);
        var action = Assert.Single(ProbeRuntime.Table.ArmedActions(probe));
        Assert.Equal(2, action.FailedExpressions.Count);
        Assert.StartsWith("log_msg part '{removedLocal}': unknown name", action.FailedExpressions[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_only_line_is_written_with_parts_failing_when_bound_and_when_evaluated()
    {
        var probe = Apply(Tp("a", ("snapshot", "no_collect"), ("log_msg", "len={name.Length} gone={removedLocal}")));
        Assert.True(BindingEngine.Hit(probe, 1, null));
        var line = Assert.Single(_collected.Logs);
        Assert.Equal("len={name.Length: 'name' is null} gone={removedLocal: unknown name 'removedLocal' (at position 1)}", line.Message);
    }

    [Fact]
    public void A_metric_that_does_not_bind_is_skipped_and_the_other_metrics_are_recorded()
    {
        var name = $"orders_{Guid.NewGuid():N}";
        var recorded = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "deep") l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<double>((i, _, _, _) =>
        {
            lock (recorded) recorded.Add(i.Name);
        });
        listener.Start();

        var tp = Tp("m", ("snapshot", "no_collect"));
        tp.Metrics.Add(new Metric { Name = name + "_ok", Type = MetricType.Counter, Expression = "x" });
        tp.Metrics.Add(new Metric { Name = name + "_value", Type = MetricType.Counter, Expression = "removedLocal" });
        var labelled = new Metric { Name = name + "_label", Type = MetricType.Counter };
        labelled.LabelExpressions.Add(new LabelExpression { Key = "region", Expression = "name.GetHashCode()" });
        tp.Metrics.Add(labelled);
        var probe = Apply(tp);
        Assert.True(BindingEngine.Hit(probe, 3, "n"));

        lock (recorded) Assert.Equal(["deep_" + name + "_ok"], recorded.Where(r => r.Contains(name, StringComparison.Ordinal)));
        var action = Assert.Single(ProbeRuntime.Table.ArmedActions(probe));
        Assert.Null(action.PrepareError);
        Assert.Equal(2, action.FailedExpressions.Count);
        Assert.StartsWith($"metric '{name}_value' expression 'removedLocal': unknown name", action.FailedExpressions[0], StringComparison.Ordinal);
        Assert.StartsWith($"metric '{name}_label' label 'region': ", action.FailedExpressions[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_metric_action_whose_every_metric_fails_is_not_armed_and_says_why()
    {
        var tp = Tp("m", ("snapshot", "no_collect"));
        tp.Metrics.Add(new Metric { Name = "gone", Type = MetricType.Counter, Expression = "removedLocal" });
        var action = new MetricAction(tp, Deep.Agent.Triggers.TracepointParser.Spec(tp), new RateLimiter(-1, 0, null, null));
        Assert.False(action.Prepare(BindingEngine.DefaultLayout));
        Assert.StartsWith("metric 'gone' expression 'removedLocal': unknown name 'removedLocal'", action.PrepareError, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_name_in_an_optimized_method_says_the_compiler_may_have_removed_the_local()
    {
        var optimized = typeof(string).GetMethod(nameof(string.Trim), Type.EmptyTypes)!;
        var debug = DebugBuildMethod();
        Assert.True(Deep.Agent.Symbols.OptimizedCode.IsOptimized(optimized));
        Assert.False(Deep.Agent.Symbols.OptimizedCode.IsOptimized(debug));

        string Failure(MethodBase method, string watch)
        {
            var tp = Tp("a");
            tp.Watches.Add(watch);
            var action = new SnapshotAction(tp, Deep.Agent.Triggers.TracepointParser.Spec(tp), new RateLimiter(-1, 0, null, null), Collected.Context(_collected),
                Deep.Agent.Capture.CaptureLimits.Default);
            Assert.True(action.Prepare(BindingEngine.DefaultLayout with { Method = method }));
            return Assert.Single(action.FailedExpressions);
        }

        Assert.EndsWith("unknown name 'total' (at position 1) (the method is optimized, a Release build: the compiler may have removed this local)",
            Failure(optimized, "total"), StringComparison.Ordinal);
        Assert.Equal("watch 'total': unknown name 'total' (at position 1)", Failure(debug, "total"));
        // Only an unknown name: a member that is not allowed is not something the compiler removed.
        Assert.DoesNotContain("Release", Failure(optimized, "name.GetHashCode()"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_probe_status_names_the_failed_expressions_and_stays_installed()
    {
        var registry = new ProbeStatusRegistry();
        var settings = AgentSettings.FromEnvironment(new Dictionary<string, string?>());
        var context = Collected.Context(_collected, settings);
        var triggers = new TriggerHandler(context, ProbeRuntime.Table, new StatusEngine(registry));
        using var transport = new GrpcDeepTransport(settings);
        using var reporter = new StatusReporter(transport, triggers, registry, context.ResourceKeyValues, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(10));
        try
        {
            var tp = Tp("tp-watch", ("log_msg", "total={total}"));
            tp.Watches.Add("x");
            tp.Watches.Add("removedLocal");
            triggers.Apply([tp, Tp("tp-condition", ("condition", "removedLocal > 0"))]);
            var statuses = reporter.BuildReport().Statuses.ToDictionary(s => s.TracepointId);
            var watch = statuses["tp-watch"];
            Assert.Equal(ProbeStatusState.Installed, watch.State);
            Assert.StartsWith("failed expressions: watch 'removedLocal': unknown name 'removedLocal' (at position 1)", watch.Detail, StringComparison.Ordinal);
            Assert.Contains("; log_msg part '{total}': unknown name 'total' (at position 1)", watch.Detail, StringComparison.Ordinal);
            var condition = statuses["tp-condition"];
            Assert.Equal(ProbeStatusState.Error, condition.State);
            Assert.StartsWith("condition 'removedLocal > 0': unknown name 'removedLocal'", condition.Detail, StringComparison.Ordinal);
        }
        finally
        {
            triggers.Clear();
        }
    }

    // A method of an assembly built as a Debug build is: its DebuggableAttribute disables JIT optimizations.
    private static MethodInfo DebugBuildMethod()
    {
        var debuggable = new CustomAttributeBuilder(
            typeof(DebuggableAttribute).GetConstructor([typeof(DebuggableAttribute.DebuggingModes)])!,
            [DebuggableAttribute.DebuggingModes.Default | DebuggableAttribute.DebuggingModes.DisableOptimizations]);
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("DebugBuilt" + Guid.NewGuid().ToString("N")), AssemblyBuilderAccess.Run, [debuggable]);
        var type = assembly.DefineDynamicModule("m").DefineType("Shop.Orders", TypeAttributes.Public);
        var method = type.DefineMethod("Place", MethodAttributes.Public | MethodAttributes.Static, typeof(void), Type.EmptyTypes);
        method.GetILGenerator().Emit(OpCodes.Ret);
        return type.CreateType().GetMethod("Place")!;
    }
}
