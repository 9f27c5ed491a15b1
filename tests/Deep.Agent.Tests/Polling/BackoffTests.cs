using Deep.Agent.Polling;

namespace Deep.Agent.Tests.Polling;

public class BackoffTests
{
    [Fact]
    public void Delays_grow_exponentially_with_jitter_and_stop_at_the_cap()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));
        var delays = Enumerable.Range(0, 12).Select(_ => backoff.Next().TotalMilliseconds).ToList();
        for (var i = 0; i < 5; i++)
        {
            var nominal = 100 * Math.Pow(2, i);
            Assert.InRange(delays[i], nominal * 0.5, nominal * 1.5);
        }
        Assert.All(delays, d => Assert.True(d <= 5000, $"{d} ms is over the cap"));
        Assert.All(delays.Skip(8), d => Assert.InRange(d, 2500, 5000));
        Assert.Equal(12, backoff.Failures);
    }

    [Fact]
    public void Jitter_spreads_agents_that_failed_together()
    {
        var first = Enumerable.Range(0, 50).Select(_ => new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)).Next()).ToHashSet();
        Assert.True(first.Count > 40);
    }

    [Fact]
    public void Reset_after_a_success_starts_again_from_the_initial_delay()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60));
        for (var i = 0; i < 6; i++) backoff.Next();
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalMilliseconds, 50, 150);
    }
}
