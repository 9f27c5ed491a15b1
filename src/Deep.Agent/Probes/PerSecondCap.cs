namespace Deep.Agent.Probes;

/// <summary>
/// A count per second, reset by a one-shot timer a second after the first take of a window, so checking it reads no
/// clock. The process-wide cap on snapshots per second (protecting the application from a flood of tracepoints) and
/// Exception Replay's budget of analyses per second are each one of these; -1 is no cap.
/// </summary>
internal sealed class PerSecondCap
{
    private readonly int _perSecond;
    private readonly Timer? _reset;
    private readonly int _windowMs;
    private int _taken;

    public PerSecondCap(int perSecond) : this(perSecond, TimeSpan.FromSeconds(1))
    {
    }

    /// <summary>So many takes per <paramref name="window"/> (tests: a window no test outlasts).</summary>
    internal PerSecondCap(int perSecond, TimeSpan window)
    {
        _perSecond = perSecond;
        _windowMs = (int)window.TotalMilliseconds;
        if (perSecond >= 0) _reset = new Timer(static s => Volatile.Write(ref ((PerSecondCap)s!)._taken, 0), this, Timeout.Infinite, Timeout.Infinite);
    }

    public int PerSecond => _perSecond;

    public bool MayTake() => _perSecond < 0 || Volatile.Read(ref _taken) < _perSecond;

    public bool TryTake()
    {
        if (_perSecond < 0) return true;
        // Used up: no write, so a flood of refused takes on many threads does not fight over one cache line.
        if (Volatile.Read(ref _taken) >= _perSecond) return false;
        var taken = Interlocked.Increment(ref _taken);
        if (taken == 1) _reset!.Change(_windowMs, Timeout.Infinite); // the first of a window starts it
        return taken <= _perSecond;
    }
}
