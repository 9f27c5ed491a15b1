using System.Reflection;
using Deep.Agent.Instrumentation;
using Deep.Agent.Native;
using Deep.Agent.Probes;
using Deep.Agent.Symbols;
using Deep.Agent.Tests.Symbols;

namespace Deep.Agent.Tests.Instrumentation;

// The engine's bookkeeping with the real symbols and the real probe runtime. The profiler cannot run inside a test
// process that was not started with it, so the rewriter here records what the engine asks of it; the integration
// tests run the same engine against the real profiler.
public sealed class ProfilerEngineTests : IDisposable
{
    private const string Sample = "Symbols/SymbolsSample.cs";
    private static int s_nextProbe = 40_000;

    private readonly SymbolIndex _symbols = new();
    private readonly RecordingRewriter _rewriter = new();
    private readonly ProbeStatusRegistry _status = new();
    private readonly ProfilerEngine _engine;

    public ProfilerEngineTests()
    {
        _symbols.Add(typeof(ProfilerEngineTests).Assembly);
        _engine = new ProfilerEngine(_symbols, _rewriter, ProbeRuntime.Table, _status);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _symbols.Dispose();
    }

    private static int NextProbeId() => Interlocked.Increment(ref s_nextProbe);

    private static int Line(string marker) => SourceMarkers.Line(Sample, marker);

    private static ProbeLocation At(string path, int line, TracepointStage stage = TracepointStage.LineStart) =>
        new(NextProbeId(), path, line, null, null, stage);

    private async Task<ProbeInstallStatus> InstallAsync(ProbeLocation location)
    {
        _engine.Install(location);
        await _engine.WhenIdleAsync();
        return _status.Get(location.ProbeId)!;
    }

    private ResolvedLine Resolve(int line) => _symbols.Resolve(Sample, line).Line!;

    private static MethodInfo Sum => typeof(SymbolsSample).GetMethod(nameof(SymbolsSample.Sum))!;

    [Fact]
    public async Task A_line_is_bound_in_the_probe_runtime_before_the_profiler_rewrites_its_method()
    {
        var location = At(Sample, Line("loop-body"));

        var status = await InstallAsync(location);

        var call = Assert.Single(_rewriter.Calls);
        Assert.Equal(Sum, call.Method);
        Assert.True(call.BoundAtCall.Single(), "the probe was not bound when the profiler was asked");
        Assert.Equal(ProbeInstallState.Installed, status.State);
        Assert.Equal("Deep.Agent.Tests.Symbols.SymbolsSample.Sum", status.Method);
        Assert.Equal(Line("loop-body"), status.LineUsed);
        Assert.True(ProbeRuntime.Table.IsBound(location.ProbeId));
    }

    [Fact]
    public async Task The_insertion_carries_the_line_offset_and_where_each_value_lives()
    {
        var location = At(Sample, Line("loop-body"));
        var resolved = Resolve(Line("loop-body"));
        var expected = FrameLayoutBuilder.Build(resolved, resolved.ILOffset).Values.Select(v => new SlotSource(v.Slot.Kind, v.Index));

        await InstallAsync(location);

        var insertion = Assert.Single(_rewriter.Calls.Single().Insertions);
        Assert.Equal(location.ProbeId, insertion.ProbeId);
        Assert.Equal(resolved.ILOffset, insertion.ILOffset);
        Assert.Equal(expected, insertion.Slots);
        Assert.Equal(new SlotSource(SlotKind.This, 0), insertion.Slots[0]);
        Assert.Equal(new SlotSource(SlotKind.Argument, 1), insertion.Slots[1]);
    }

    [Fact]
    public async Task Two_probes_in_one_method_are_sent_together_and_removing_them_restores_the_method()
    {
        var first = At(Sample, Line("loop-body"));
        var second = At(Sample, Line("after-comment"));
        await InstallAsync(first);
        await InstallAsync(second);

        Assert.Equal([first.ProbeId, second.ProbeId], _rewriter.Calls[^1].Insertions.Select(i => i.ProbeId));

        _engine.Remove(first.ProbeId);
        await _engine.WhenIdleAsync();
        Assert.Equal([second.ProbeId], _rewriter.Calls[^1].Insertions.Select(i => i.ProbeId));
        Assert.False(ProbeRuntime.Table.IsBound(first.ProbeId));

        _engine.Remove(second.ProbeId);
        await _engine.WhenIdleAsync();
        Assert.Equal(Sum, _rewriter.Calls[^1].Method);
        Assert.Empty(_rewriter.Calls[^1].Insertions); // empty set = the original code
        Assert.Equal(ProbeInstallState.Removed, _status.Get(second.ProbeId)!.State);
        Assert.False(ProbeRuntime.Table.IsBound(second.ProbeId));
    }

    [Fact]
    public async Task A_comment_line_installs_at_the_next_line_and_the_status_says_so()
    {
        var status = await InstallAsync(At(Sample, Line("comment-in-loop")));

        Assert.Equal(Line("after-comment"), status.LineUsed);
        Assert.Contains($"using line {Line("after-comment")}", status.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Line_end_probes_where_the_next_line_begins()
    {
        var status = await InstallAsync(At(Sample, Line("loop-body"), TracepointStage.LineEnd));

        Assert.Equal(ProbeInstallState.Installed, status.State);
        Assert.Equal(Resolve(Line("frame-line")).ILOffset, status.ILOffset);
    }

    [Fact]
    public async Task Line_capture_wraps_the_line_up_to_the_next_line_with_exception_and_duration_slots()
    {
        var location = At(Sample, Line("loop-body"), TracepointStage.LineCapture);

        var status = await InstallAsync(location);

        Assert.Equal(ProbeInstallState.Installed, status.State);
        var insertion = Assert.Single(Assert.Single(_rewriter.Calls).Insertions);
        Assert.Equal(InsertionKind.LineCapture, insertion.Kind);
        Assert.Equal(Resolve(Line("loop-body")).ILOffset, insertion.ILOffset);
        Assert.Equal(Resolve(Line("frame-line")).ILOffset, insertion.EndILOffset);
        Assert.Equal([new SlotSource(SlotKind.Exception, 0), new SlotSource(SlotKind.Duration, 0)], insertion.Slots.TakeLast(2));
        Assert.Equal(Resolve(Line("frame-line")).ILOffset, status.ILOffset);
    }

    [Fact]
    public async Task Line_capture_of_a_for_header_is_placed_after_the_line_like_line_end_and_says_why_it_has_no_outcome()
    {
        var status = await InstallAsync(At(Sample, Line("for-header"), TracepointStage.LineCapture));

        Assert.Equal(ProbeInstallState.Installed, status.State);
        var note = status.NotCaptured[0];
        Assert.StartsWith("exception, duration (placed after the line, like line_end): ", note, StringComparison.Ordinal);
        Assert.Contains("a for header", note, StringComparison.Ordinal);
        Assert.DoesNotContain("use line_end", note, StringComparison.Ordinal);
        // The same insertion as line_end: a plain probe at the after-line offset, no outcome slots.
        var insertion = Assert.Single(Assert.Single(_rewriter.Calls).Insertions);
        Assert.Equal(InsertionKind.Probe, insertion.Kind);
        Assert.DoesNotContain(insertion.Slots, s => s.Kind is SlotKind.Exception or SlotKind.Duration);
        var lineEnd = await InstallAsync(At(Sample, Line("for-header"), TracepointStage.LineEnd));
        Assert.Equal(lineEnd.ILOffset, status.ILOffset);
    }

    [Fact]
    public async Task Line_capture_the_profiler_cannot_wrap_falls_back_to_after_the_line_with_the_profiler_s_reason()
    {
        _rewriter.RefuseNextWith = MethodProbeResult.Refused(ProbeRefusal.OfLine(RefusalCode.LineLeavesWithStack, 0x10, 0x14, ilOffset: 0x12, count: 1), null);

        var status = await InstallAsync(At(Sample, Line("loop-body"), TracepointStage.LineCapture));

        Assert.Equal(ProbeInstallState.Installed, status.State);
        // The profiler's reason, without its advice to use line_end (that is what happened).
        Assert.Equal("exception, duration (placed after the line, like line_end): IL_0012 leaves the line with 1 value(s) on the evaluation stack: " +
            "leaving a protected region empties the stack", status.NotCaptured[0]);
        // The refused request is not recorded; the method was put back as it was, then probed after the line.
        Assert.Equal(2, _rewriter.Calls.Count);
        Assert.Empty(_rewriter.Calls[0].Insertions);
        var insertion = Assert.Single(_rewriter.Calls[1].Insertions);
        Assert.Equal(InsertionKind.Probe, insertion.Kind);
        Assert.Equal(Resolve(Line("frame-line")).ILOffset, insertion.ILOffset);
    }

    [Fact]
    public async Task Line_end_on_a_line_that_returns_is_an_error_that_suggests_line_start()
    {
        var status = await InstallAsync(At(Sample, Line("expression-bodied"), TracepointStage.LineCapture));

        Assert.Equal(ProbeInstallState.Error, status.State);
        Assert.Contains("line_start", status.Detail, StringComparison.Ordinal);
        Assert.Empty(_rewriter.Calls);
    }

    [Fact]
    public async Task A_file_that_no_assembly_has_stays_pending_until_an_assembly_with_it_loads()
    {
        using var symbols = new SymbolIndex();
        using var engine = new ProfilerEngine(symbols, _rewriter, ProbeRuntime.Table, _status);
        var location = At(Sample, Line("loop-body"));

        engine.Install(location);
        await engine.WhenIdleAsync();
        Assert.Equal(ProbeInstallState.Pending, _status.Get(location.ProbeId)!.State);
        Assert.Contains("pending", _status.Get(location.ProbeId)!.Detail, StringComparison.Ordinal);

        symbols.Add(typeof(ProfilerEngineTests).Assembly); // as AppDomain.AssemblyLoad does
        await engine.WhenIdleAsync();
        await engine.WhenIdleAsync();

        Assert.Equal(ProbeInstallState.Installed, _status.Get(location.ProbeId)!.State);
        Assert.Equal(Sum, Assert.Single(_rewriter.Calls).Method);
    }

    [Fact]
    public async Task A_method_location_in_a_file_no_assembly_has_stays_pending_until_an_assembly_with_it_loads()
    {
        using var symbols = new SymbolIndex();
        using var engine = new ProfilerEngine(symbols, _rewriter, ProbeRuntime.Table, _status);
        var location = MethodAt("Pick", "MethodSample", TracepointStage.MethodCapture);

        engine.Install(location);
        await engine.WhenIdleAsync();
        Assert.Equal(ProbeInstallState.Pending, _status.Get(location.ProbeId)!.State);

        symbols.Add(typeof(ProfilerEngineTests).Assembly); // as AppDomain.AssemblyLoad does
        await engine.WhenIdleAsync();
        await engine.WhenIdleAsync();

        Assert.Equal(ProbeInstallState.Installed, _status.Get(location.ProbeId)!.State);
        Assert.Equal(2, _rewriter.Calls.Count);
        Assert.All(_rewriter.Calls, c => Assert.Contains(c.Insertions, i => i.Kind == InsertionKind.Exit));
    }

    [Fact]
    public async Task An_ambiguous_path_is_an_error_listing_the_candidates_and_rewrites_nothing()
    {
        var status = await InstallAsync(At("Twin.cs", 6));

        Assert.Equal(ProbeInstallState.Error, status.State);
        Assert.Contains("Twin.cs", status.Detail, StringComparison.Ordinal);
        Assert.Contains("give more of the path", status.Detail, StringComparison.Ordinal);
        Assert.Empty(_rewriter.Calls);
    }

    [Fact]
    public async Task A_method_the_profiler_refuses_is_an_error_and_its_other_probes_are_put_back()
    {
        var good = At(Sample, Line("loop-body"));
        await InstallAsync(good);
        _rewriter.RefuseNext = "ReJIT failed (0x80131363)";

        var bad = At(Sample, Line("frame-line"));
        var status = await InstallAsync(bad);

        Assert.Equal(ProbeInstallState.Error, status.State);
        Assert.Contains("SymbolsSample.Sum cannot be instrumented: ReJIT failed (0x80131363)", status.Detail, StringComparison.Ordinal);
        Assert.False(ProbeRuntime.Table.IsBound(bad.ProbeId));
        Assert.Equal([good.ProbeId], _rewriter.Calls[^1].Insertions.Select(i => i.ProbeId));
        Assert.Equal(ProbeInstallState.Installed, _status.Get(good.ProbeId)!.State);
    }

    [Fact]
    public async Task A_bad_location_does_not_disturb_good_ones()
    {
        var bad = At("Missing.cs", 3);
        var worse = At(Sample, Line("outside"));
        var good = At(Sample, Line("span-line"));

        _engine.Install(bad);
        _engine.Install(worse);
        _engine.Install(good);
        await _engine.WhenIdleAsync();

        Assert.Equal(ProbeInstallState.Pending, _status.Get(bad.ProbeId)!.State);
        Assert.Equal(ProbeInstallState.Error, _status.Get(worse.ProbeId)!.State);
        Assert.Equal(ProbeInstallState.Installed, _status.Get(good.ProbeId)!.State);
        Assert.Contains("span: Span<int> is a ref struct and cannot be captured", _status.Get(good.ProbeId)!.NotCaptured);
    }

    private static ProbeLocation MethodAt(string method, string? className, TracepointStage stage) =>
        new(NextProbeId(), "Symbols/MethodSample.cs", 0, method, className, stage);

    [Fact]
    public async Task A_method_start_location_probes_offset_0_of_every_overload_under_its_own_bound_id_with_exit_hooks()
    {
        var location = MethodAt("Pick", "MethodSample", TracepointStage.MethodStart);

        var status = await InstallAsync(location);

        Assert.Equal(ProbeInstallState.Installed, status.State);
        Assert.Equal(2, _rewriter.Calls.Count);
        var ids = new HashSet<int>();
        foreach (var (method, insertions, bound) in _rewriter.Calls)
        {
            Assert.Equal("Pick", method.Name);
            Assert.Equal([InsertionKind.Probe, InsertionKind.FrameHooks], insertions.Select(i => i.Kind));
            var probe = insertions[0];
            Assert.Equal(0, probe.ILOffset);
            Assert.Equal([new SlotSource(SlotKind.This, 0), new SlotSource(SlotKind.Argument, 1)], probe.Slots);
            Assert.NotEqual(location.ProbeId, probe.ProbeId);
            Assert.All(bound, Assert.True); // each overload's layout is in the runtime before its rewrite
            ids.Add(probe.ProbeId);
        }
        Assert.Equal(2, ids.Count);
        Assert.Contains("Pick(int value)", status.Method, StringComparison.Ordinal);
        Assert.Contains("Pick(string value)", status.Method, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_method_capture_location_is_an_exit_probe_with_return_exception_and_duration_slots()
    {
        var location = MethodAt("Compute", "MethodSample", TracepointStage.MethodCapture);

        var status = await InstallAsync(location);

        Assert.Equal(ProbeInstallState.Installed, status.State);
        var call = Assert.Single(_rewriter.Calls);
        var exit = call.Insertions.Single(i => i.Kind == InsertionKind.Exit);
        Assert.Equal(
            [new SlotSource(SlotKind.This, 0), new SlotSource(SlotKind.Argument, 1), new SlotSource(SlotKind.Return, 0),
             new SlotSource(SlotKind.Exception, 0), new SlotSource(SlotKind.Duration, 0)],
            exit.Slots);
    }

    [Fact]
    public async Task Removing_a_method_location_restores_every_overload_and_forgets_their_layouts()
    {
        var location = MethodAt("Pick", "MethodSample", TracepointStage.MethodEnd);
        await InstallAsync(location);
        var aliases = _rewriter.Calls.Select(c => c.Insertions[0].ProbeId).ToList();

        _engine.Remove(location.ProbeId);
        await _engine.WhenIdleAsync();

        Assert.Equal(4, _rewriter.Calls.Count);
        Assert.All(_rewriter.Calls.Skip(2), c => Assert.Empty(c.Insertions));
        Assert.All(aliases, a => Assert.False(ProbeRuntime.Table.IsBound(a)));
        Assert.Equal(ProbeInstallState.Removed, _status.Get(location.ProbeId)!.State);
    }

    [Fact]
    public async Task A_method_location_naming_no_method_is_an_error_that_says_so()
    {
        var status = await InstallAsync(MethodAt("Nope", "MethodSample", TracepointStage.MethodStart));

        Assert.Equal(ProbeInstallState.Error, status.State);
        Assert.Contains("no method named 'Nope'", status.Detail, StringComparison.Ordinal);
        Assert.Empty(_rewriter.Calls);
    }

    [Fact]
    public async Task A_line_with_a_line_span_gets_a_span_end_after_the_line_and_exit_hooks()
    {
        var location = At(Sample, Line("loop-body")) with { SpanScopes = (Line: true, Method: false) };

        await InstallAsync(location);

        var line = Resolve(Line("loop-body"));
        var call = Assert.Single(_rewriter.Calls);
        // Span ends first: at a shared offset they run before probes (ordered per offset by the profiler).
        Assert.Equal([InsertionKind.SpanEnd, InsertionKind.Probe, InsertionKind.FrameHooks], call.Insertions.Select(i => i.Kind));
        Assert.Equal(line.AfterLineILOffset, call.Insertions[0].ILOffset);
        Assert.All(call.Insertions, i => Assert.Equal(location.ProbeId, i.ProbeId));
    }

    [Fact]
    public async Task A_line_whose_tracepoint_gains_a_span_is_rewritten_with_a_span_end_and_exit_hooks()
    {
        var location = At(Sample, Line("loop-body"));
        ProbeRuntime.Table.SetActions(location.ProbeId, [new Deep.Agent.Tests.Probes.RecordingAction()]);
        await InstallAsync(location);
        Assert.Equal([InsertionKind.Probe], _rewriter.Calls.Last().Insertions.Select(i => i.Kind));

        // The trigger handler re-installs the location with the span scope its actions now open.
        await InstallAsync(location with { SpanScopes = (Line: true, Method: false) });

        Assert.Equal([InsertionKind.SpanEnd, InsertionKind.Probe, InsertionKind.FrameHooks], _rewriter.Calls.Last().Insertions.Select(i => i.Kind));
        Assert.Equal(ProbeInstallState.Installed, _status.Get(location.ProbeId)!.State);
    }

    [Fact]
    public async Task A_line_span_end_comes_before_the_probe_of_the_next_line_at_the_same_offset()
    {
        // Installed first: a probe exactly where the spanned line's code ends (line_end of the same line).
        var second = At(Sample, Line("loop-body"), TracepointStage.LineEnd);
        await InstallAsync(second);

        var first = At(Sample, Line("loop-body")) with { SpanScopes = (Line: true, Method: false) };
        await InstallAsync(first);

        var insertions = _rewriter.Calls.Last().Insertions;
        int after = insertions.Single(i => i.Kind == InsertionKind.SpanEnd).ILOffset;
        var atAfter = insertions.Where(i => i.ILOffset == after && i.Kind != InsertionKind.FrameHooks).ToList();
        Assert.Equal([InsertionKind.SpanEnd, InsertionKind.Probe], atAfter.Select(i => i.Kind));
        Assert.Equal([first.ProbeId, second.ProbeId], atAfter.Select(i => i.ProbeId));
    }

    [Fact]
    public async Task Installing_the_same_location_twice_rewrites_once()
    {
        var location = At(Sample, Line("loop-body"));

        await InstallAsync(location);
        await InstallAsync(location);

        Assert.Single(_rewriter.Calls);
    }

    [Fact]
    public async Task A_rewriter_that_throws_becomes_an_error_not_an_exception()
    {
        _rewriter.ThrowNext = true;

        var status = await InstallAsync(At(Sample, Line("loop-body")));

        Assert.Equal(ProbeInstallState.Error, status.State);
        Assert.Contains("the profiler exploded", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_profiler_the_locator_says_why_there_is_no_engine()
    {
        var engine = EngineLocator.TryCreate(ProbeRuntime.Table, out var whyNot);

        Assert.Null(engine);
        // Which reason depends on what ran before in this test process (a DeepAgent.Start() test may have tried to
        // attach the profiler and failed, and that reason wins); either way it is the bridge's, and names the profiler.
        Assert.Equal(ProfilerBridge.NotLoadedReason, whyNot);
        Assert.Contains("profiler", whyNot, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_rewrite_the_runtime_has_not_taken_is_requested_again_with_the_same_probes_until_it_is()
    {
        _engine.ActivationCheckScale = 0.01;
        // The runtime "loses" the first two requests and takes the third.
        _rewriter.State = _ => _rewriter.Calls.Count >= 3 ? MethodState.Active : MethodState.Requested;
        var location = At(Sample, Line("loop-body"));

        await InstallAsync(location);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_rewriter.Calls.Count < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        await Task.Delay(500); // later checks would show up as more calls
        await _engine.WhenIdleAsync();

        Assert.Equal(3, _rewriter.Calls.Count);
        Assert.Equal(2, _engine.ReJitRetries);
        Assert.All(_rewriter.Calls, c => Assert.Equal(location.ProbeId, Assert.Single(c.Insertions).ProbeId));
        Assert.All(_rewriter.Calls, c => Assert.Equal(_rewriter.Calls[0].Insertions[0].ILOffset, c.Insertions[0].ILOffset));
    }

    // Waits until the rewriter was called at least `count` times (generous bound for a loaded machine).
    private async Task CallsReachAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (_rewriter.Calls.Count < count && DateTime.UtcNow < deadline) await Task.Delay(20);
    }

    [Fact]
    public async Task A_method_that_is_never_called_is_requested_again_only_a_bounded_number_of_times()
    {
        _engine.ActivationCheckScale = 0.001;
        _rewriter.State = _ => MethodState.Requested;

        await InstallAsync(At(Sample, Line("loop-body")));
        // The ten checks at this scale take under half a second on a quiet machine; wait for them (bounded), then
        // check that no more come.
        await CallsReachAsync(11);
        await _engine.WhenIdleAsync();
        int settled = _rewriter.Calls.Count;
        await Task.Delay(500);

        Assert.Equal(11, settled); // the request, then one per check
        Assert.Equal(settled, _rewriter.Calls.Count);
    }

    [Fact]
    public async Task A_method_with_a_compiled_copy_behind_is_requested_again_at_most_MaxPartialRequests_times()
    {
        _engine.ActivationCheckScale = 0.001;
        _rewriter.State = _ => MethodState.Partial; // one generic instantiation never runs the new code

        await InstallAsync(At(Sample, Line("loop-body")));
        await CallsReachAsync(1 + ProfilerEngine.MaxPartialRequests);
        await Task.Delay(500); // a bounded number: none past it
        await _engine.WhenIdleAsync();
        int settled = _rewriter.Calls.Count;
        await Task.Delay(500);

        Assert.Equal(1 + ProfilerEngine.MaxPartialRequests, settled); // the request, then the bounded repeats
        Assert.Equal(settled, _rewriter.Calls.Count);
        Assert.Equal(ProfilerEngine.MaxPartialRequests, _engine.ReJitRetries);
    }

    [Fact]
    public async Task Removing_the_probe_stops_the_requests()
    {
        _engine.ActivationCheckScale = 0.05;
        _rewriter.State = _ => MethodState.Requested;
        var location = At(Sample, Line("loop-body"));
        await InstallAsync(location);

        _engine.Remove(location.ProbeId);
        await _engine.WhenIdleAsync();
        int afterRemove = _rewriter.Calls.Count;
        await Task.Delay(1500);
        await _engine.WhenIdleAsync();

        Assert.Equal(afterRemove, _rewriter.Calls.Count);
        Assert.Empty(_rewriter.Calls[^1].Insertions); // the last call restored the method
    }

    private sealed class RecordingRewriter : IMethodRewriter
    {
        public List<(MethodBase Method, IReadOnlyList<ProbeInsertion> Insertions, bool[] BoundAtCall)> Calls { get; } = [];

        public string? RefuseNext { get; set; }

        public MethodProbeResult? RefuseNextWith { get; set; }

        public bool ThrowNext { get; set; }

        // What the "runtime" reports per method; null = the rewriter cannot tell (as a rewriter without a profiler).
        public Func<MethodBase, MethodState>? State { get; set; }

        public MethodState StateOf(MethodBase method) => State?.Invoke(method) ?? MethodState.Unknown;

        public Task<MethodProbeResult> SetMethodProbesAsync(MethodBase method, IReadOnlyList<ProbeInsertion> probes)
        {
            if (ThrowNext)
            {
                ThrowNext = false;
                throw new InvalidOperationException("the profiler exploded");
            }
            if (RefuseNext is { } why)
            {
                RefuseNext = null;
                return Task.FromResult(new MethodProbeResult(false, why));
            }
            if (RefuseNextWith is { } refused)
            {
                RefuseNextWith = null;
                return Task.FromResult(refused);
            }
            lock (Calls)
            {
                Calls.Add((method, probes.ToList(), probes.Select(p => ProbeRuntime.Table.IsBound(p.ProbeId)).ToArray()));
            }
            return Task.FromResult(new MethodProbeResult(true, null));
        }
    }
}
