namespace Deep.Agent.Probes;

/// <summary>
/// One action's rate limits (§5): fire count, time window, fire period. Lock-free and thread-safe; the cheap
/// <see cref="MayFire"/> is what <see cref="ProbeRuntime.Enter"/> asks, <see cref="TryAcquire"/> records a fire.
/// Times are <see cref="Environment.TickCount64"/> milliseconds: cheap to read, and fire periods are in ms.
/// </summary>
internal sealed class RateLimiter
{
    private readonly long _periodMs;
    private readonly long _windowStartTick;
    private readonly long _windowEndTick;
    private readonly bool _unlimited;
    private int _remaining;
    private long _nextAllowedTick = long.MinValue; // the first fire is never blocked by the period
    private volatile bool _exhausted;
    private int _fired;

    /// <param name="fireCount">-1 unlimited, 0 never.</param>
    /// <param name="periodMs">0 = no throttle.</param>
    /// <param name="windowStartEpochMs">Inclusive, epoch milliseconds; null = open.</param>
    /// <param name="windowEndEpochMs">Inclusive, epoch milliseconds; null = open.</param>
    public RateLimiter(int fireCount, long periodMs, long? windowStartEpochMs, long? windowEndEpochMs)
    {
        _unlimited = fireCount < 0;
        _remaining = Math.Max(fireCount, 0);
        _exhausted = fireCount == 0;
        _periodMs = Math.Max(periodMs, 0);
        // Translate epoch times to the tick clock once, so a hit never reads the wall clock.
        var offset = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - Environment.TickCount64;
        _windowStartTick = windowStartEpochMs is { } s ? s - offset : long.MinValue;
        _windowEndTick = windowEndEpochMs is { } e ? e - offset : long.MaxValue;
    }

    /// <summary>How many times this action fired.</summary>
    public int FireCount => Volatile.Read(ref _fired);

    /// <summary>True once the fire count is used up or the window has passed; the action can never fire again.</summary>
    public bool Exhausted => _exhausted;

    /// <summary>Whether a fire at <paramref name="now"/> could be allowed (no side effects).</summary>
    public bool MayFire(long now)
    {
        if (_exhausted) return false;
        if (now < Volatile.Read(ref _nextAllowedTick)) return false;
        if (now < _windowStartTick) return false;
        if (now > _windowEndTick)
        {
            _exhausted = true; // the window is over for good
            return false;
        }
        return true;
    }

    /// <summary>Records a fire at <paramref name="now"/> if every limit allows it; false when another thread won.</summary>
    public bool TryAcquire(long now)
    {
        if (!MayFire(now)) return false;
        if (_periodMs > 0)
        {
            var next = Volatile.Read(ref _nextAllowedTick);
            if (now < next) return false;
            if (Interlocked.CompareExchange(ref _nextAllowedTick, now + _periodMs, next) != next) return false;
        }
        if (!_unlimited)
        {
            while (true)
            {
                var remaining = Volatile.Read(ref _remaining);
                if (remaining <= 0)
                {
                    _exhausted = true;
                    return false;
                }
                if (Interlocked.CompareExchange(ref _remaining, remaining - 1, remaining) == remaining)
                {
                    if (remaining == 1) _exhausted = true;
                    break;
                }
            }
        }
        Interlocked.Increment(ref _fired);
        return true;
    }
}

/// <summary>The process-wide cap on snapshots per second, protecting the application from a flood of tracepoints.</summary>
internal sealed class GlobalSnapshotCap
{
    private readonly int _perSecond;
    private long _second;
    private int _taken;

    public GlobalSnapshotCap(int perSecond) => _perSecond = perSecond;

    public int PerSecond => _perSecond;

    public bool MayTake(long nowMs) => _perSecond < 0 || nowMs / 1000 != Volatile.Read(ref _second) || Volatile.Read(ref _taken) < _perSecond;

    public bool TryTake(long nowMs)
    {
        if (_perSecond < 0) return true;
        var second = nowMs / 1000;
        var current = Volatile.Read(ref _second);
        if (second != current && Interlocked.CompareExchange(ref _second, second, current) == current)
        {
            Volatile.Write(ref _taken, 0);
        }
        return Interlocked.Increment(ref _taken) <= _perSecond;
    }
}
