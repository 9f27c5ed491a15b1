using System.Reflection;
using Deep.Agent.Native;
using Deep.Agent.Probes;
using Deep.Agent.Symbols;

namespace Deep.Agent.Instrumentation;

/// <summary>
/// The instrumentation engine backed by our CLR profiler: resolves a location through the PDBs, binds the probe's
/// frame layout in the probe runtime, then has the profiler rewrite the method with every probe it holds.
/// All work runs in order on one agent thread ("deep-engine"); the public calls only queue it and never throw.
/// </summary>
internal sealed partial class ProfilerEngine : IInstrumentationEngine, IDisposable
{
    private readonly SymbolIndex _symbols;
    private readonly IMethodRewriter _rewriter;
    private IProbeBinder _binder; // only touched on the engine thread (after construction)
    private readonly ProbeStatusRegistry _status;

    private readonly object _gate = new();
    private readonly Queue<Action> _work = new();
    private readonly Thread _thread;
    private bool _stopping;
    private int _busy;
    private bool _retryQueued;
    private readonly List<string> _loadedPaths = []; // under _gate: module paths loaded since the last retry

    // Only touched on the engine thread.
    private readonly Dictionary<int, ProbeLocation> _locations = [];
    private readonly Dictionary<int, List<Placement>> _placed = [];
    private readonly Dictionary<MethodBase, List<int>> _byMethod = [];
    private readonly HashSet<int> _pending = [];

    // One insertion of a probe: a line probe has one (plus a span end and exit hooks for span=line); a method
    // location has one per overload, each under its own runtime id (an alias of the probe).
    private sealed record Placement(MethodBase Method, int ILOffset, IReadOnlyList<SlotSource> Slots,
        InsertionKind Kind = InsertionKind.Probe, int RuntimeId = 0, int EndILOffset = 0);

    /// <summary>An engine over <paramref name="symbols"/> driving <paramref name="rewriter"/>.</summary>
    public ProfilerEngine(SymbolIndex symbols, IMethodRewriter rewriter, IProbeBinder binder, ProbeStatusRegistry status)
    {
        _symbols = symbols;
        _rewriter = rewriter;
        _binder = binder;
        _status = status;
        _symbols.AssemblyAdded += OnAssemblyAdded;
        _thread = new Thread(Run) { IsBackground = true, Name = "deep-engine" };
        _thread.Start();
    }

    /// <summary>The engine over the loaded profiler, every loaded assembly, and the agent's probe table.</summary>
    public static ProfilerEngine CreateForProcess(IProbeBinder probes)
    {
        var symbols = new SymbolIndex();
        var engine = new ProfilerEngine(symbols, new ProfilerRewriter(), probes, ProbeStatusRegistry.Shared);
        symbols.TrackAppDomain();
        return engine;
    }

    /// <summary>The probe statuses this engine writes.</summary>
    public ProbeStatusRegistry Status => _status;

    /// <inheritdoc />
    public void Install(ProbeLocation location)
    {
        if (location is null)
        {
            return;
        }
        Enqueue(() => DoInstall(location));
    }

    /// <inheritdoc />
    public void Remove(int probeId) => Enqueue(() => DoRemove(probeId));

    /// <summary>
    /// The engine is one per process (the profiler holds one set of probes per method); an agent started after
    /// another stopped gives it its own probe table, for the work queued from now on.
    /// </summary>
    public void UseProbes(IProbeBinder probes) => Enqueue(() => _binder = probes);

    /// <summary>Completes when all work queued so far is done (tests and orderly shutdown).</summary>
    public Task WhenIdleAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Enqueue(() => done.TrySetResult()))
        {
            done.TrySetResult();
        }
        return done.Task;
    }

    private bool Enqueue(Action work)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return false;
            }
            _work.Enqueue(work);
            Monitor.Pulse(_gate);
            return true;
        }
    }

    private void Run()
    {
        // The probes must never fire on the engine's own thread (it calls into code that may be instrumented).
        ProbeRuntime.MarkAgentThread();
        while (true)
        {
            Action work;
            lock (_gate)
            {
                while (_work.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_gate);
                }
                if (_work.Count == 0)
                {
                    return;
                }
                work = _work.Dequeue();
                _busy++;
            }
            try
            {
                work();
            }
            catch (Exception e)
            {
                EngineLog.Warn($"engine work failed: {e}");
            }
            finally
            {
                lock (_gate)
                {
                    _busy--;
                }
            }
        }
    }

    private void OnAssemblyAdded(AssemblySymbols symbols)
    {
        // On the loading (application) thread: only queue one retry of the pending probes.
        string path = ModulePath(symbols.Assembly);
        lock (_gate)
        {
            if (path.Length > 0)
            {
                _loadedPaths.Add(path);
            }
            if (_retryQueued)
            {
                return;
            }
            _retryQueued = true;
        }
        Enqueue(RetryPending);
    }

    private void RetryPending()
    {
        List<string> loaded;
        lock (_gate)
        {
            _retryQueued = false;
            loaded = [.. _loadedPaths];
            _loadedPaths.Clear();
        }
        ReapplyToNewCopies(loaded);
        foreach (var probeId in _pending.ToList())
        {
            if (_locations.TryGetValue(probeId, out var location))
            {
                DoInstall(location);
            }
        }
    }

    // How long after a new copy of a probed file loaded its methods are asked for once more.
    private static readonly TimeSpan AfterLoadRecheck = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A method of a copy that just loaded is often being compiled for the first time, by the application thread
    /// that loaded it, while its ReJIT is requested; then it can keep its original code (observed with a Debug-built
    /// plugin called right after it loaded: the request succeeded, GetReJITParameters never came). The activation
    /// watch (ProfilerEngine.ReJitRetry.cs) sees only the first copy's state, so the new copy is asked for once more a
    /// moment later, when that first compilation is over; it costs one extra compilation per copy.
    /// </summary>
    private void ReapplyLater(MethodBase method)
    {
        _ = Task.Delay(AfterLoadRecheck).ContinueWith(_ => Enqueue(() =>
        {
            if (_byMethod.TryGetValue(method, out var probes) && probes.Count > 0)
            {
                var result = Apply(method);
                if (!result.Success)
                {
                    EngineLog.Warn($"asking again for {LineResolver.Describe(method)} after its assembly loaded failed: {result.Error}");
                }
            }
        }), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// A file already probed loaded again (into another AssemblyLoadContext): the profiler probes every loaded copy
    /// of a module, so asking again for the methods of that file puts the probes into the new copy too.
    /// </summary>
    private void ReapplyToNewCopies(List<string> loadedPaths)
    {
        if (loadedPaths.Count == 0 || _byMethod.Count == 0)
        {
            return;
        }
        var paths = loadedPaths.ToHashSet(StringComparer.Ordinal);
        foreach (var method in _byMethod.Keys.ToList())
        {
            if (paths.Contains(ModulePath(method.Module.Assembly)))
            {
                var result = Apply(method);
                if (!result.Success)
                {
                    EngineLog.Warn($"probing the new copy of {LineResolver.Describe(method)} failed: {result.Error}");
                }
                ReapplyLater(method);
            }
        }
    }

    private static string ModulePath(Assembly assembly)
    {
        try
        {
            return assembly.IsDynamic ? "" : assembly.ManifestModule.FullyQualifiedName;
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException)
        {
            return "";
        }
    }

    private void DoInstall(ProbeLocation location)
    {
        int probeId = location.ProbeId;
        if (_placed.ContainsKey(probeId))
        {
            if (_locations.TryGetValue(probeId, out var current)
                && (current == location || (location.MethodName is not null && current == location with { SpanScopes = current.SpanScopes })))
            {
                // Unchanged; a method location has exit hooks whatever spans its actions open.
                _locations[probeId] = location;
                return;
            }
            DoRemove(probeId);
        }
        _locations[probeId] = location;
        _pending.Remove(probeId);

        if (location.MethodName is not null || location.Stage is TracepointStage.MethodStart or TracepointStage.MethodEnd or TracepointStage.MethodCapture)
        {
            InstallMethodLocation(location);
            return;
        }

        var resolution = _symbols.Resolve(location.Path, location.Line);
        if (resolution.Line is not { } line)
        {
            if (resolution.Failure == ResolutionFailure.FileNotFound)
            {
                _pending.Add(probeId);
                _status.Set(StatusOf(location, ProbeInstallState.Pending, resolution.Error));
            }
            else
            {
                Fail(location, resolution.Error ?? "the location could not be resolved");
            }
            return;
        }

        int ilOffset;
        if (location.Stage == TracepointStage.LineStart)
        {
            ilOffset = line.ILOffset;
        }
        else if (line.AfterLineILOffset is { } after)
        {
            ilOffset = after;
        }
        else
        {
            Fail(location, line.AfterLineError ?? "there is no code after this line");
            return;
        }

        var capture = FrameLayoutBuilder.Build(line, ilOffset);
        // A span around the line (or from the line to the method's end) is stopped by the method's exit hooks.
        var spans = location.SpanScopes;
        bool hooks = spans.Line || spans.Method;

        MethodProbeResult? TryPlace(bool wrapLine, string? outcomeMissing)
        {
            var slots = capture.Values.Select(v => v.Slot).ToList();
            var sources = capture.Values.Select(v => new SlotSource(v.Slot.Kind, v.Index)).ToList();
            var placement = new Placement(line.Method, ilOffset, sources);
            if (wrapLine)
            {
                // The line from its first instruction to the after-line offset is wrapped: the probe runs when it
                // completes and when an exception leaves it (probe-abi.md §1, "Line capture").
                AddExceptionAndDuration(slots, sources);
                placement = new Placement(line.Method, line.ILOffset, sources, InsertionKind.LineCapture, EndILOffset: ilOffset);
            }
            var layout = new ProbeFrameLayout(slots, line.Method, line.DocumentPath,
                line.LineUsed, ilOffset, capture.NotCaptured) { HasExitHooks = hooks, OutcomeNotCaptured = outcomeMissing };
            var placements = new List<Placement> { placement };
            if (spans.Line && line.AfterLineILOffset is { } spanEnd && spanEnd > ilOffset)
            {
                placements.Add(new Placement(line.Method, spanEnd, [], InsertionKind.SpanEnd));
            }
            if (hooks)
            {
                placements.Add(new Placement(line.Method, 0, [], InsertionKind.FrameHooks));
            }
            // The runtime must know the layout before the rewritten code can call it.
            _binder.Bind(probeId, layout);
            var failed = Place(probeId, placements);
            if (failed is not null)
            {
                _binder.Unbind(probeId);
            }
            return failed;
        }

        // line_capture on a line that cannot be wrapped in one protected region (seen in the PDB, or refused by the
        // profiler from the IL) still fires after the line, like line_end, and says in its status why it has no outcome.
        bool capturing = location.Stage == TracepointStage.LineCapture;
        string? outcomeMissing = capturing ? LineCaptureRefusal(line) : null;
        var failed = TryPlace(capturing && outcomeMissing is null, outcomeMissing);
        if (failed is not null && capturing && outcomeMissing is null)
        {
            outcomeMissing = WhyNotWrapped(failed);
            failed = TryPlace(false, outcomeMissing);
        }
        if (failed is not null)
        {
            Fail(location, $"{LineResolver.Describe(line.Method)} cannot be instrumented: {failed.Error}");
            return;
        }
        // The "not captured" list reaches the log and the status the server and the UI show.
        var notCaptured = outcomeMissing is null
            ? capture.NotCaptured
            : [$"exception, duration (placed after the line, like line_end): {outcomeMissing}", .. capture.NotCaptured];
        _status.Set(new ProbeInstallStatus(probeId, location, ProbeInstallState.Installed, null, LineResolver.Describe(line.Method), ilOffset,
            line.LineUsed, notCaptured, DateTimeOffset.UtcNow));
    }

    // A failure read as the reason for a fallback: the probe is placed after the line, so the advice to use line_end
    // and "cannot be instrumented" no longer apply: a refusal's reason alone (ProbeRefusals words it), else the error.
    private static string WhyNotWrapped(MethodProbeResult failed)
    {
        const string prefix = "the method cannot be instrumented: ";
        if (failed.Refusal is { } refusal && ProbeRefusals.Reason(refusal) is { } reason)
        {
            return reason;
        }
        string error = failed.Error ?? "the profiler refused the method";
        return error.StartsWith(prefix, StringComparison.Ordinal) ? error[prefix.Length..] : error;
    }

    /// <summary>
    /// Why <c>line_capture</c> cannot wrap the line in one protected region, seen from the PDB (the profiler checks the
    /// IL itself too: jumps into the line, the evaluation stack, try statements), or null. Without advice: the probe is
    /// then placed after the line, like <c>line_end</c>.
    /// </summary>
    internal static string? LineCaptureRefusal(ResolvedLine line)
    {
        if (line.AwaitILOffset is { } yield)
        {
            return $"line {line.LineUsed} of {line.DocumentPath} has an await on the line (it yields at IL_{yield:X4} of " +
                   $"{LineResolver.Describe(line.Method)}, and the async method resumes in the middle of the line): line_capture " +
                   "wraps the line in a try/filter, which can only be entered at its start";
        }
        if (line.ElsewhereILOffset is not { } elsewhere)
        {
            return null;
        }
        const string what = "for example a for header, a loop condition evaluated after the loop's body, an if and its else " +
                            "on one line, or an await the method resumes from in the middle of the line";
        return $"line {line.LineUsed} of {line.DocumentPath} is code in several places of {LineResolver.Describe(line.Method)} " +
               $"(IL_{line.ILOffset:X4} and IL_{elsewhere:X4}; {what}): line_capture wraps one contiguous piece of code " +
               "in a try/filter and cannot capture its outcome";
    }

    private void DoRemove(int probeId)
    {
        _pending.Remove(probeId);
        var hadLocation = _locations.Remove(probeId, out var location);
        if (_placed.Remove(probeId, out var placements))
        {
            foreach (var method in placements.Select(p => p.Method).Distinct())
            {
                if (!_byMethod.TryGetValue(method, out var probes))
                {
                    continue;
                }
                probes.Remove(probeId);
                var result = Apply(method);
                if (!result.Success)
                {
                    EngineLog.Warn($"restoring {LineResolver.Describe(method)} after removing probe {probeId} failed: {result.Error}");
                }
                if (probes.Count == 0)
                {
                    _byMethod.Remove(method);
                }
            }
            foreach (var alias in placements.Where(p => p.RuntimeId != 0 && p.RuntimeId != probeId).Select(p => p.RuntimeId).Distinct())
            {
                _binder.UnbindAlias(alias, probeId);
            }
            _binder.Unbind(probeId);
        }
        if (hadLocation)
        {
            _status.Set(StatusOf(location!, ProbeInstallState.Removed, null));
        }
    }

    private List<ProbeInsertion> InsertionsOf(MethodBase method)
    {
        var insertions = new List<ProbeInsertion>();
        if (_byMethod.TryGetValue(method, out var probes))
        {
            foreach (var id in probes)
            {
                foreach (var placement in _placed[id])
                {
                    if (placement.Method.Equals(method))
                    {
                        insertions.Add(new ProbeInsertion(placement.RuntimeId == 0 ? id : placement.RuntimeId, placement.ILOffset, placement.Slots, placement.Kind, placement.EndILOffset));
                    }
                }
            }
        }
        // A line span ends before the next line's probes run: that probe may open a span of its own (stable order).
        return insertions.OrderBy(i => i.Kind == InsertionKind.SpanEnd ? 0 : 1).ToList();
    }

    private MethodProbeResult Apply(MethodBase method)
    {
        var insertions = InsertionsOf(method);
        try
        {
            var result = _rewriter.SetMethodProbesAsync(method, insertions).GetAwaiter().GetResult();
            WatchActivation(method, result.Success && insertions.Count > 0);
            return result;
        }
        catch (Exception e)
        {
            return new MethodProbeResult(false, e.Message);
        }
    }

    /// <summary>
    /// Registers the probe's placements and rewrites every method they touch; on a failure puts every touched method
    /// back as it was and returns why.
    /// </summary>
    private MethodProbeResult? Place(int probeId, List<Placement> placements)
    {
        _placed[probeId] = placements;
        var methods = placements.Select(p => p.Method).Distinct().ToList();
        foreach (var method in methods)
        {
            if (!_byMethod.TryGetValue(method, out var probes))
            {
                _byMethod[method] = probes = [];
            }
            probes.Add(probeId);
        }
        var applied = new List<MethodBase>();
        foreach (var method in methods)
        {
            var result = Apply(method);
            if (result.Success)
            {
                applied.Add(method);
                continue;
            }
            _placed.Remove(probeId);
            foreach (var touched in methods)
            {
                if (!_byMethod.TryGetValue(touched, out var probes))
                {
                    continue;
                }
                probes.Remove(probeId);
                if (probes.Count == 0)
                {
                    _byMethod.Remove(touched);
                }
                if (applied.Contains(touched) || touched.Equals(method))
                {
                    Apply(touched); // the method's other probes as they were (or the original code)
                }
            }
            return methods.Count > 1 ? result with { Error = $"{LineResolver.Describe(method)}: {result.Error}" } : result;
        }
        return null;
    }

    private void Fail(ProbeLocation location, string why) => _status.Set(StatusOf(location, ProbeInstallState.Error, why));

    private static ProbeInstallStatus StatusOf(ProbeLocation location, ProbeInstallState state, string? detail) =>
        new(location.ProbeId, location, state, detail, null, null, null, [], DateTimeOffset.UtcNow);

    /// <summary>Stops the engine thread after the queued work (the probes stay as they are).</summary>
    public void Dispose()
    {
        StopActivationWatch();
        _symbols.AssemblyAdded -= OnAssemblyAdded;
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }
}
