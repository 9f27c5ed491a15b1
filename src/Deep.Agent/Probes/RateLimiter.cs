namespace Deep.Agent.Probes;

/// <summary>
/// One action's rate limits (§5): fire count, time window, fire period. Lock-free and thread-safe.
/// </summary>
/// <remarks>
/// The hot path (<see cref="MayFire"/>, asked by <see cref="ProbeRuntime.Enter"/> on every hit) reads one volatile
/// field and never the clock: reading a clock costs 20–100 ns on the virtual machines measured here, more than the
/// whole budget of a rate-limited hit. Time enters through one-shot timers instead: a fire with a period closes the
/// gate and arms a timer that reopens it; a window opens and closes by timer.
/// </remarks>
internal sealed class RateLimiter : IDisposable
{
    private const int Open = 0, Throttled = 1, BeforeWindow = 2, Done = 3;
    // System.Threading.Timer's longest due time; farther deadlines are re-armed when the timer fires.
    private const long MaxTimerMs = 0xfffffffe;

    private readonly long _periodMs;
    private readonly long? _windowStartEpochMs;
    private readonly long? _windowEndEpochMs;
    private readonly bool _unlimited;
    private readonly Timer? _windowTimer;
    private Timer? _periodTimer;
    private int _remaining;
    private volatile int _state;
    private int _fired;

    /// <param name="fireCount">-1 unlimited, 0 never.</param>
    /// <param name="periodMs">0 = no throttle.</param>
    /// <param name="windowStartEpochMs">Inclusive, epoch milliseconds; null = open.</param>
    /// <param name="windowEndEpochMs">Inclusive, epoch milliseconds; null = open.</param>
    public RateLimiter(int fireCount, long periodMs, long? windowStartEpochMs, long? windowEndEpochMs)
    {
        _unlimited = fireCount < 0;
        _remaining = Math.Max(fireCount, 0);
        _periodMs = Math.Max(periodMs, 0);
        _windowStartEpochMs = windowStartEpochMs;
        _windowEndEpochMs = windowEndEpochMs;
        _state = fireCount == 0 ? Done : Open;
        if (_state != Done && (windowStartEpochMs is not null || windowEndEpochMs is not null))
        {
            _windowTimer = new Timer(static s => ((RateLimiter)s!).OnWindowTimer(), this, Timeout.Infinite, Timeout.Infinite);
            OnWindowTimer();
        }
    }

    /// <summary>How many times this action fired.</summary>
    public int FireCount => Volatile.Read(ref _fired);

    /// <summary>True once the fire count is used up or the window has passed: the action can never fire again.</summary>
    public bool Exhausted => _state == Done;

    /// <summary>Whether a fire could be allowed now. No clock, no side effects: one volatile read.</summary>
    public bool MayFire() => _state == Open;

    /// <summary>Records a fire if every limit allows it; false when a limit says no or another thread won.</summary>
    public bool TryAcquire()
    {
        if (_periodMs > 0)
        {
            // Claim the period: exactly one thread moves the gate from open to throttled.
            if (Interlocked.CompareExchange(ref _state, Throttled, Open) != Open) return false;
            if (!TakeOne())
            {
                _state = Done;
                return false;
            }
            if (_state != Done) ArmPeriodTimer();
            return true;
        }
        if (_state != Open || !TakeOne()) return false;
        return true;
    }

    private bool TakeOne()
    {
        if (!_unlimited)
        {
            while (true)
            {
                var remaining = Volatile.Read(ref _remaining);
                if (remaining <= 0)
                {
                    _state = Done;
                    return false;
                }
                if (Interlocked.CompareExchange(ref _remaining, remaining - 1, remaining) == remaining)
                {
                    if (remaining == 1) _state = Done;
                    break;
                }
            }
        }
        Interlocked.Increment(ref _fired);
        return true;
    }

    private void ArmPeriodTimer()
    {
        var timer = _periodTimer;
        if (timer is null)
        {
            timer = new Timer(static s => ((RateLimiter)s!).OnPeriodOver(), this, Timeout.Infinite, Timeout.Infinite);
            if (Interlocked.CompareExchange(ref _periodTimer, timer, null) is { } existing)
            {
                timer.Dispose();
                timer = existing;
            }
        }
        timer.Change(Math.Min(_periodMs, MaxTimerMs), Timeout.Infinite);
    }

    private void OnPeriodOver() => Interlocked.CompareExchange(ref _state, Open, Throttled);

    private void OnWindowTimer()
    {
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (_windowEndEpochMs is { } end && now > end)
            {
                _state = Done;
                _windowTimer?.Dispose();
                return;
            }
            if (_windowStartEpochMs is { } start && now < start)
            {
                Interlocked.CompareExchange(ref _state, BeforeWindow, Open);
                _windowTimer?.Change(Math.Min(start - now, MaxTimerMs), Timeout.Infinite);
                return;
            }
            Interlocked.CompareExchange(ref _state, Open, BeforeWindow);
            // +1: the end is inclusive.
            if (_windowEndEpochMs is { } e) _windowTimer?.Change(Math.Min(e - now + 1, MaxTimerMs), Timeout.Infinite);
        }
        catch (ObjectDisposedException)
        {
            // the action was removed
        }
    }

    /// <summary>Stops the timers (the tracepoint was removed).</summary>
    public void Dispose()
    {
        _windowTimer?.Dispose();
        _periodTimer?.Dispose();
    }
}
