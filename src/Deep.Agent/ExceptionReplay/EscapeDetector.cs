using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Deep.Agent.Probes;

namespace Deep.Agent.ExceptionReplay;

/// <summary>
/// Notices an exception leaving the application's code, from <see cref="AppDomain.FirstChanceException"/>.
/// </summary>
/// <remarks>
/// An exception leaving the app is stored by whoever called it (an async method's builder, the framework's task) and
/// raised again where that caller's caller awaits it: a second first-chance event for the same object. A fresh throw
/// costs a look into a small ring of recently thrown exceptions and one store; only a second sighting costs a stack
/// walk: if the code raising it again (the first frame below the runtime's rethrow helpers) is not the app's while
/// the exception's stack has app frames, it escaped. The exception is then marked so the framework's further
/// rethrows (one per await level) do not count again. Not seen: an exception caught by framework code that never
/// raises it again (a synchronous framework catch that logs and returns), and one that waits longer than
/// <see cref="RingSize"/> other throws before it is awaited again.
/// <para>
/// The stack walks are bounded by a budget of analyses per second (<c>DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND</c>,
/// default 100): a re-raise's walk takes one, and so does an escape a host reports. Beyond it a re-raise costs the
/// ring scan and a counter: an app failing or rethrowing thousands of times a second pays for a hundred of them, and
/// its escapes are sampled (an escape not examined now is found on a later occurrence). Each exception object
/// counts once, and one already known to have escaped takes nothing.
/// </para>
/// </remarks>
internal sealed class EscapeDetector
{
    /// <summary>Recently thrown exceptions remembered (strong references: a bounded few, replaced at every throw).</summary>
    public const int RingSize = 32;

    private readonly Exception?[] _recent = new Exception?[RingSize];
    private int _next;
    private readonly ConditionalWeakTable<Exception, object> _escaped = new();
    private readonly AppCode _app;
    private readonly PerSecondCap _budget;
    private readonly Action<Exception, IReadOnlyList<AppFrame>> _onEscape;
    private long _notAnalyzed;
    private static readonly object Marker = new();
    [ThreadStatic] private static bool t_inside;

    public EscapeDetector(AppCode app, PerSecondCap budget, Action<Exception, IReadOnlyList<AppFrame>> onEscape)
    {
        _app = app;
        _budget = budget;
        _onEscape = onEscape;
    }

    /// <summary>The analyses refused by the budget since the last call (re-raises not walked, host reports not examined).</summary>
    public long TakeNotAnalyzed() => Interlocked.Exchange(ref _notAnalyzed, 0);

    /// <summary>The hot path: every first-chance exception of the process.</summary>
    public void OnFirstChance(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs args)
    {
        if (t_inside) return; // an exception inside the detector itself
        var exception = args.Exception;
        var recent = _recent;
        for (var i = 0; i < recent.Length; i++)
        {
            if (ReferenceEquals(recent[i], exception))
            {
                SeenAgain(exception);
                return;
            }
        }
        // A race between threads may lose one entry: it only means a missed escape, never a wrong one.
        recent[(uint)_next++ % RingSize] = exception;
    }

    /// <summary>An exception that reaches the top of a thread: it escaped whatever the stack looks like.</summary>
    /// <remarks>Not counted against the budget: it happens once, as the process goes down.</remarks>
    public void OnUnhandled(object? sender, UnhandledExceptionEventArgs args)
    {
        if (args.ExceptionObject is Exception exception) Check(exception, raisedByApp: false, budgeted: true);
    }

    /// <summary>A host reports that <paramref name="exception"/> left the application (ASP.NET Core's diagnostics).</summary>
    public void OnHostSawEscape(Exception exception) => Check(exception, raisedByApp: false, budgeted: false);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SeenAgain(Exception exception)
    {
        t_inside = true;
        try
        {
            if (_escaped.TryGetValue(exception, out _)) return;
            if (!_budget.TryTake())
            {
                Interlocked.Increment(ref _notAnalyzed);
                return;
            }
            Check(exception, RaisedByApp(new StackTrace(2, false).GetFrames().Select(f => f.GetMethod())), budgeted: true);
        }
        catch
        {
            // nothing reaches the application
        }
        finally
        {
            t_inside = false;
        }
    }

    // budgeted: the analysis was paid for already (a re-raise's walk) or needs no budget (the top of a thread).
    private void Check(Exception exception, bool raisedByApp, bool budgeted)
    {
        try
        {
            if (raisedByApp || _escaped.TryGetValue(exception, out _)) return;
            if (!budgeted && !_budget.TryTake())
            {
                Interlocked.Increment(ref _notAnalyzed);
                return;
            }
            var frames = AppFramesOf(new StackTrace(exception, false), _app);
            if (frames.Count == 0) return;
            _escaped.AddOrUpdate(exception, Marker);
            _onEscape(exception, frames);
        }
        catch
        {
            // nothing reaches the application
        }
    }

    /// <summary>
    /// Whether the code raising the exception again is the app's: the first frame that is not the runtime's
    /// (CoreLib: <c>ExceptionDispatchInfo.Throw</c>, <c>TaskAwaiter</c>) nor the agent's.
    /// </summary>
    internal bool RaisedByApp(IEnumerable<MethodBase?> current)
    {
        foreach (var method in current)
        {
            var assembly = method?.DeclaringType?.Assembly;
            if (assembly is null || assembly == typeof(object).Assembly || assembly == typeof(EscapeDetector).Assembly) continue;
            return _app.Contains(method);
        }
        return false;
    }

    /// <summary>The app frames of the exception's stack, innermost first (at most <see cref="Fingerprint.MaxFrames"/>).</summary>
    internal static List<AppFrame> AppFramesOf(StackTrace trace, AppCode app)
    {
        var frames = new List<AppFrame>();
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            if (method is null || !app.Contains(method)) continue;
            frames.Add(new AppFrame(method, frame.GetILOffset()));
            if (frames.Count == Fingerprint.MaxFrames) break;
        }
        return frames;
    }
}
