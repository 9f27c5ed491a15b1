using System.Diagnostics;
using Deep.Agent.Probes;

namespace Deep.Agent.Tests.Probes;

public class RateLimiterTests
{
    private static long EpochMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public void Fire_count_one_fires_once()
    {
        using var l = new RateLimiter(1, 0, null, null);
        Assert.True(l.MayFire());
        Assert.True(l.TryAcquire());
        Assert.False(l.MayFire());
        Assert.False(l.TryAcquire());
        Assert.True(l.Exhausted);
        Assert.Equal(1, l.FireCount);
    }

    [Fact]
    public void Fire_count_zero_never_fires_and_minus_one_is_unlimited()
    {
        Assert.False(new RateLimiter(0, 0, null, null).TryAcquire());
        using var unlimited = new RateLimiter(-1, 0, null, null);
        for (var i = 0; i < 10_000; i++) Assert.True(unlimited.TryAcquire());
    }

    [Fact]
    public void The_first_fire_is_never_blocked_and_the_next_waits_for_the_period()
    {
        using var l = new RateLimiter(-1, 300, null, null);
        var watch = Stopwatch.StartNew();
        Assert.True(l.TryAcquire());
        Assert.False(l.MayFire());
        Assert.False(l.TryAcquire());
        Poll.Until(l.MayFire, "the period to pass");
        Assert.True(watch.ElapsedMilliseconds >= 250, $"reopened after {watch.ElapsedMilliseconds} ms");
        Assert.True(l.TryAcquire());
        Assert.Equal(2, l.FireCount);
    }

    [Fact]
    public void A_window_in_the_future_opens_when_it_starts()
    {
        // Defect 2: the reference agent ignored windows.
        using var l = new RateLimiter(-1, 0, EpochMs + 400, EpochMs + 60_000);
        Assert.False(l.TryAcquire());
        Assert.False(l.Exhausted);
        Poll.Until(l.MayFire, "the window to open");
        Assert.True(l.TryAcquire());
    }

    [Fact]
    public void A_window_that_ends_closes_for_good()
    {
        using var l = new RateLimiter(-1, 0, EpochMs - 1000, EpochMs + 300);
        Assert.True(l.TryAcquire());
        Poll.Until(() => l.Exhausted, "the window to end");
        Assert.False(l.TryAcquire());
    }

    [Fact]
    public void A_window_in_the_past_never_fires()
    {
        using var past = new RateLimiter(-1, 0, EpochMs - 120_000, EpochMs - 60_000);
        Assert.False(past.TryAcquire());
        Assert.True(past.Exhausted);
    }

    [Fact]
    public void Counters_are_thread_safe_under_contention()
    {
        // Defect 10: the reference agent's counters were not thread-safe.
        using var l = new RateLimiter(1000, 0, null, null);
        var acquired = 0;
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++) if (l.TryAcquire()) Interlocked.Increment(ref acquired);
        });
        Assert.Equal(1000, acquired);
        Assert.Equal(1000, l.FireCount);
    }

    [Fact]
    public void Under_contention_a_period_lets_exactly_one_thread_fire()
    {
        using var l = new RateLimiter(-1, 60_000, null, null);
        var acquired = 0;
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 1000; i++) if (l.TryAcquire()) Interlocked.Increment(ref acquired);
        });
        Assert.Equal(1, acquired);
    }

    [Fact]
    public void The_global_cap_allows_so_many_snapshots_per_window_then_refuses()
    {
        // A window of an hour: however slow the machine, it cannot reopen between these takes.
        var cap = new PerSecondCap(3, TimeSpan.FromHours(1));
        Assert.True(cap.TryTake());
        Assert.True(cap.TryTake());
        Assert.True(cap.TryTake());
        Assert.False(cap.MayTake());
        Assert.False(cap.TryTake());
        Assert.False(cap.TryTake());
    }

    [Fact]
    public void The_global_cap_reopens_when_its_window_is_over()
    {
        var cap = new PerSecondCap(1); // the real one-second window
        Assert.True(cap.TryTake());
        Poll.Until(cap.MayTake, "the next second");
        Assert.True(cap.TryTake());
    }

    [Fact]
    public void A_negative_global_cap_means_no_cap()
    {
        var cap = new PerSecondCap(-1);
        for (var i = 0; i < 10_000; i++) Assert.True(cap.TryTake());
    }
}
