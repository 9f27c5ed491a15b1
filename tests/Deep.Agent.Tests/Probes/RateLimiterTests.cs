using Deep.Agent.Probes;

namespace Deep.Agent.Tests.Probes;

public class RateLimiterTests
{
    private static long Now => Environment.TickCount64;
    private static long EpochMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public void Fire_count_one_fires_once()
    {
        var l = new RateLimiter(1, 0, null, null);
        Assert.True(l.TryAcquire(Now));
        Assert.False(l.TryAcquire(Now));
        Assert.True(l.Exhausted);
        Assert.Equal(1, l.FireCount);
    }

    [Fact]
    public void Fire_count_zero_never_fires_and_minus_one_is_unlimited()
    {
        Assert.False(new RateLimiter(0, 0, null, null).TryAcquire(Now));
        var unlimited = new RateLimiter(-1, 0, null, null);
        for (var i = 0; i < 10_000; i++) Assert.True(unlimited.TryAcquire(Now));
    }

    [Fact]
    public void The_first_fire_is_never_blocked_by_the_period_and_the_next_waits_for_it()
    {
        var l = new RateLimiter(-1, 1000, null, null);
        var t = Now;
        Assert.True(l.TryAcquire(t));
        Assert.False(l.TryAcquire(t + 999));
        Assert.True(l.TryAcquire(t + 1000));
    }

    [Fact]
    public void A_window_in_the_future_does_not_fire_and_one_in_the_past_never_fires_again()
    {
        var future = new RateLimiter(-1, 0, EpochMs + 60_000, EpochMs + 120_000);
        Assert.False(future.TryAcquire(Now));
        Assert.False(future.Exhausted);
        Assert.True(future.TryAcquire(Now + 61_000));

        var past = new RateLimiter(-1, 0, EpochMs - 120_000, EpochMs - 60_000);
        Assert.False(past.TryAcquire(Now));
        Assert.True(past.Exhausted);
    }

    [Fact]
    public void A_window_containing_now_fires()
    {
        var l = new RateLimiter(-1, 0, EpochMs - 1000, EpochMs + 60_000);
        Assert.True(l.TryAcquire(Now));
    }

    [Fact]
    public void Counters_are_thread_safe_under_contention()
    {
        // Defect 10: the reference agent's counters were not thread-safe.
        var l = new RateLimiter(1000, 0, null, null);
        var acquired = 0;
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++) if (l.TryAcquire(Now)) Interlocked.Increment(ref acquired);
        });
        Assert.Equal(1000, acquired);
        Assert.Equal(1000, l.FireCount);
    }

    [Fact]
    public void The_global_cap_allows_so_many_snapshots_per_second()
    {
        var cap = new GlobalSnapshotCap(3);
        var t = 5_000_000L;
        Assert.True(cap.TryTake(t));
        Assert.True(cap.TryTake(t));
        Assert.True(cap.TryTake(t));
        Assert.False(cap.MayTake(t));
        Assert.False(cap.TryTake(t));
        Assert.True(cap.MayTake(t + 1000));
        Assert.True(cap.TryTake(t + 1000));
    }
}
