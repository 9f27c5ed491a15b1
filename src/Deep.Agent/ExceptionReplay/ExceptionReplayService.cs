using System.Collections.Concurrent;
using System.Diagnostics;
using Deep.Agent.Capture;
using Deep.Agent.Diagnostics;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;

namespace Deep.Agent.ExceptionReplay;

/// <summary>
/// Exception Replay (docs/exception-replay.md): an exception that escapes the app's code is fingerprinted; the app
/// methods on its stack get exit hooks that attach their values (locals included) to the exception leaving them; the
/// next escape with that fingerprint becomes one snapshot with every app frame's values. The application's thread only
/// detects and hands over; instrumenting and building the snapshot run on the agent's <c>deep-replay</c> thread.
/// </summary>
internal sealed class ExceptionReplayService : IDisposable
{
    /// <summary>At most this many app methods are hooked per fingerprint, innermost first.</summary>
    public const int MaxHookedFrames = 10;

    /// <summary>Escapes waiting for the agent thread; more are dropped (counted as escapes only).</summary>
    public const int QueueCapacity = 64;

    private readonly AgentContext _context;
    private readonly IInstrumentationEngine _engine;
    private readonly ProbeTable _probeTable;
    private readonly FingerprintTable _table;
    private readonly CaptureStore _store = new();
    private readonly EscapeDetector _detector;
    // Escapes handed to the agent's thread: a queue with a count bound, and a worker woken by each hand-over that
    // blocks without spinning (a BlockingCollection's consumer spun and yielded once per escape: perf, 1,000 a second).
    private readonly ConcurrentQueue<Escape> _escapes = new();
    private int _waiting;
    // Agent thread only: the hooks of each fingerprint, and each hooked method's probe with how many fingerprints use
    // it (two failures through one method share its hook, so a frame is never captured twice).
    private readonly Dictionary<string, (List<HookKey> Keys, Type ExceptionType)> _probes = new(StringComparer.Ordinal);
    private readonly Dictionary<HookKey, Hook> _hooks = [];

    /// <summary>
    /// A hooked method no fingerprint waits for any more is disarmed at once (its probe has no action: the rewritten
    /// code takes nothing), and its original code comes back once it stayed unused this long: a flood of failures
    /// through the same methods then does not rewrite and recompile them for every fingerprint.
    /// </summary>
    public static readonly TimeSpan HookLinger = TimeSpan.FromMinutes(1);

    // A hooked method: its probe, how many fingerprints wait for it (by exception type: a failure of another type
    // passes without its values being taken), and since when none does.
    private sealed class Hook(int probeId)
    {
        public int ProbeId { get; } = probeId;
        public int Users { get; set; }
        public DateTime IdleSince { get; set; }
        public AwaitedTypes Awaited { get; } = new();
        public Dictionary<Type, int> TypeUsers { get; } = [];

        public void Wait(Type type, int change)
        {
            var users = TypeUsers.GetValueOrDefault(type) + change;
            if (users > 0) TypeUsers[type] = users;
            else TypeUsers.Remove(type);
            Users += change;
            Awaited.Set(TypeUsers.Keys);
        }
    }

    private readonly record struct HookKey(string File, string Method, string? Class);
    private readonly AgentWorker _worker;
    private readonly TimeSpan _expiryCheck;
    private DateTime _nextExpiryCheck;

    /// <summary>How often the analyses the budget refused are written to the agent's log (when there were any).</summary>
    public static readonly TimeSpan BudgetReport = TimeSpan.FromMinutes(1);

    private readonly int _analysesPerSecond;
    private DateTime _nextBudgetReport;
    private readonly AspNetCoreEscapes _aspNetCore;
    private readonly ScopeLookup? _scopes;
    private int _disposed;

    private ExceptionReplayService(AgentContext context, IInstrumentationEngine engine, ProbeTable probeTable, TimeSpan interval, int analysesPerSecond)
    {
        _context = context;
        _engine = engine;
        _scopes = engine is ProfilerEngine profiler ? profiler.InScope : null;
        _probeTable = probeTable;
        _table = new FingerprintTable(interval);
        _analysesPerSecond = analysesPerSecond;
        _detector = new EscapeDetector(new AppCode(context.FrameOptions(true)), new PerSecondCap(analysesPerSecond), OnEscape);
        _expiryCheck = TimeSpan.FromSeconds(Math.Clamp(interval.TotalSeconds / 4, 1, 60));
        _nextExpiryCheck = DateTime.UtcNow + _expiryCheck;
        _nextBudgetReport = DateTime.UtcNow + BudgetReport;
        _worker = new AgentWorker("deep-replay", Round);
        _worker.Start();
        AppDomain.CurrentDomain.FirstChanceException += _detector.OnFirstChance;
        AppDomain.CurrentDomain.UnhandledException += _detector.OnUnhandled;
        _aspNetCore = new AspNetCoreEscapes(_detector.OnHostSawEscape);
    }

    /// <summary>Whether a service is hooked into the process now (tests: <c>DEEP_EXCEPTION_REPLAY=false</c> hooks nothing).</summary>
    internal static bool IsHooked => Volatile.Read(ref s_hooked) > 0;

    private static int s_hooked;

    /// <summary>Starts Exception Replay unless the settings switch it off or no engine can hook methods; never throws.</summary>
    public static ExceptionReplayService? Start(AgentContext context, IInstrumentationEngine? engine, ProbeTable probeTable)
    {
        try
        {
            if (!context.Settings.ExceptionReplay)
            {
                SelfLog.Info("exception replay: off (DEEP_EXCEPTION_REPLAY=false): nothing hooked");
                return null;
            }
            // The profiler's engine only: an engine given in code (tests, a custom one) is not hooked behind its back.
            if (engine is not ProfilerEngine)
            {
                SelfLog.Info("exception replay: off (it needs the profiler's instrumentation engine)");
                return null;
            }
            return StartWith(context, engine, probeTable);
        }
        catch (Exception e)
        {
            SelfLog.Warning($"exception replay could not start: {e.Message}");
            return null;
        }
    }

    /// <summary>Starts Exception Replay over any engine (tests); the settings still decide.</summary>
    internal static ExceptionReplayService? StartWith(AgentContext context, IInstrumentationEngine engine, ProbeTable probeTable)
    {
        try
        {
            if (!context.Settings.ExceptionReplay) return null;
            var settings = context.Settings;
            var service = new ExceptionReplayService(context, engine, probeTable, settings.ExceptionReplayInterval, settings.ExceptionReplayAnalysesPerSecond);
            Interlocked.Increment(ref s_hooked);
            return service;
        }
        catch (Exception e)
        {
            SelfLog.Warning($"exception replay could not start: {e.Message}");
            return null;
        }
    }

    internal FingerprintTable Table => _table;

    /// <summary>The detector the process's exceptions go through (tests).</summary>
    internal EscapeDetector Detector => _detector;

    /// <summary>The values hooked frames attached to exceptions (tests).</summary>
    internal CaptureStore Store => _store;

    // On the application's thread, once per escape: fingerprint and hand over.
    private void OnEscape(Exception exception, IReadOnlyList<AppFrame> frames)
    {
        var thread = Thread.CurrentThread;
        var activity = Activity.Current;
        var w3c = activity?.IdFormat == ActivityIdFormat.W3C;
        var escape = new Escape(exception, Fingerprint.Of(exception.GetType(), frames), frames, _probeTable.EpochNanos(),
            thread.Name ?? "", thread.ManagedThreadId, w3c ? activity!.TraceId.ToHexString() : null, w3c ? activity!.SpanId.ToHexString() : null);
        Enqueue(escape);
    }

    private void Enqueue(Escape escape)
    {
        if (Interlocked.Increment(ref _waiting) > QueueCapacity)
        {
            Interlocked.Decrement(ref _waiting); // the agent's thread is behind: this escape is only counted by its detector
            return;
        }
        _escapes.Enqueue(escape);
        _worker.Wake();
    }

    // The agent's thread: every escape handed over, then the hooks of fingerprints that did not recur, at most every
    // _expiryCheck, and what the budget refused, at most every BudgetReport.
    private TimeSpan Round(WorkerRound round)
    {
        while (!round.Stopping.IsCancellationRequested && _escapes.TryDequeue(out var escape))
        {
            Interlocked.Decrement(ref _waiting);
            try
            {
                Handle(escape);
            }
            catch (Exception e)
            {
                SelfLog.Warning($"exception replay: {e.Message}");
            }
        }
        var now = DateTime.UtcNow;
        if (now >= _nextExpiryCheck)
        {
            ExpireHooks();
            _nextExpiryCheck = now + _expiryCheck;
        }
        if (now >= _nextBudgetReport)
        {
            ReportNotAnalyzed();
            _nextBudgetReport = now + BudgetReport;
        }
        return (_nextExpiryCheck < _nextBudgetReport ? _nextExpiryCheck : _nextBudgetReport) - now;
    }

    /// <summary>Writes how many analyses the budget refused since the last report, when any (every <see cref="BudgetReport"/>).</summary>
    internal void ReportNotAnalyzed()
    {
        var count = _detector.TakeNotAnalyzed();
        if (count == 0) return;
        SelfLog.Info($"exception replay: {count} exception(s) raised again or reported by the host in the last {BudgetReport.TotalSeconds:0} s " +
            $"were not examined (over the budget of {_analysesPerSecond} a second, DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND); " +
            "an escape among them is found when it happens again");
    }

    internal void Handle(Escape escape)
    {
        var captures = _store.Get(escape.Exception);
        switch (_table.OnEscape(escape.Fingerprint, captures.Count > 0, DateTime.UtcNow, _probeTable.Cap))
        {
            case EscapeOutcome.Instrument:
                Instrument(escape);
                break;
            case EscapeOutcome.Snapshot:
                RemoveHooks(escape.Fingerprint);
                var snapshot = ReplaySnapshot.Build(_context, escape, captures, _table.CountSinceSnapshot(escape.Fingerprint));
                _table.ResetCount(escape.Fingerprint);
                _context.Snapshots.TryEnqueue(snapshot);
                SelfLog.Info($"exception replay: snapshot of {escape.Exception.GetType().Name} ({escape.Fingerprint}) with {captures.Count} frame(s)");
                break;
            case EscapeOutcome.Dropped:
                // The hooks stay: the next occurrence is captured when the cap allows it.
                SelfLog.SnapshotDropped($"exception replay {escape.Fingerprint}: the global snapshots-per-second cap was reached");
                break;
        }
    }

    private void Instrument(Escape escape)
    {
        // File names come from the PDBs: read here, on the agent's thread, once per fingerprint.
        var trace = new StackTrace(escape.Exception, fNeedFileInfo: true);
        var keys = new List<HookKey>();
        foreach (var frame in trace.GetFrames())
        {
            if (keys.Count == MaxHookedFrames) break;
            var method = frame.GetMethod();
            if (method is null || !escape.Frames.Any(f => f.Method == method)) continue;
            var file = frame.GetFileName();
            var (name, declaring, _) = FrameCollector.Describe(method);
            // Lambdas and local functions cannot be named by method_name: their frame is shown without values.
            if (string.IsNullOrEmpty(file) || declaring is null || name.Contains('.', StringComparison.Ordinal) || name.StartsWith('<')) continue;
            var key = new HookKey(file, name, declaring.FullName?.Replace('+', '.'));
            if (keys.Contains(key)) continue; // a recursion: one hook serves every activation
            keys.Add(key);
            var type = escape.Exception.GetType();
            if (_hooks.TryGetValue(key, out var hook))
            {
                var rearm = hook.Users == 0;
                hook.Wait(type, +1);
                if (rearm) _probeTable.SetActions(hook.ProbeId, [new ReplayFrameAction(_store, hook.Awaited, _scopes)]);
                continue;
            }
            var id = _probeTable.AllocateProbeId();
            hook = _hooks[key] = new Hook(id);
            hook.Wait(type, +1);
            _probeTable.SetActions(id, [new ReplayFrameAction(_store, hook.Awaited, _scopes)]);
            _engine.Install(new ProbeLocation(id, key.File, 0, key.Method, key.Class, TracepointStage.MethodCapture) { ExceptionFrame = true });
        }
        if (keys.Count == 0)
        {
            _table.Abandon(escape.Fingerprint);
            return;
        }
        _probes[escape.Fingerprint] = (keys, escape.Exception.GetType());
        SelfLog.Info($"exception replay: hooking {keys.Count} method(s) for {escape.Exception.GetType().Name} ({escape.Fingerprint}): " +
            string.Join(", ", keys.Select(k => $"{k.Class}.{k.Method}")));
    }

    private void RemoveHooks(string fingerprint)
    {
        if (!_probes.Remove(fingerprint, out var waiting)) return;
        foreach (var key in waiting.Keys)
        {
            if (!_hooks.TryGetValue(key, out var hook)) continue;
            hook.Wait(waiting.ExceptionType, -1);
            if (hook.Users > 0) continue;
            _probeTable.SetActions(hook.ProbeId, []); // disarmed: nothing is taken from here on
            hook.IdleSince = DateTime.UtcNow;
        }
    }

    /// <summary>Gives the original code back to hooked methods unused for <see cref="HookLinger"/> (all when null).</summary>
    internal void RemoveIdleHooks(DateTime? now)
    {
        foreach (var (key, hook) in _hooks.Where(h => h.Value.Users == 0 && (now is not { } at || at - h.Value.IdleSince >= HookLinger)).ToList())
        {
            _hooks.Remove(key);
            _probeTable.Remove(hook.ProbeId);
            _engine.Remove(hook.ProbeId);
        }
    }

    private void ExpireHooks()
    {
        foreach (var fingerprint in _table.Expire(DateTime.UtcNow))
        {
            RemoveHooks(fingerprint);
            SelfLog.Info($"exception replay: hooks of {fingerprint} removed (no recurrence for {_table.Interval})");
        }
        RemoveIdleHooks(DateTime.UtcNow);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        AppDomain.CurrentDomain.FirstChanceException -= _detector.OnFirstChance;
        AppDomain.CurrentDomain.UnhandledException -= _detector.OnUnhandled;
        _aspNetCore.Dispose();
        Interlocked.Decrement(ref s_hooked);
        _worker.Stop(TimeSpan.FromSeconds(2));
        foreach (var fingerprint in _probes.Keys.ToList()) RemoveHooks(fingerprint);
        RemoveIdleHooks(null);
    }
}
