namespace WebShop;

/// <summary>Requests per interval, published by <see cref="StatsPublisher"/>.</summary>
public sealed record StatsReport(long Total, long InLastInterval, DateTimeOffset At);

/// <summary>Counts requests (a singleton: every handler records into it).</summary>
public sealed class RequestStats
{
    private long _total;
    private long _publishedTotal;

    public StatsReport Latest { get; private set; } = new(0, 0, DateTimeOffset.UtcNow);

    /// <summary>The highest requests-per-second rate seen so far.</summary>
    public long PeakPerSecond { get; set; }

    /// <summary>Counts one request; returns its number since start.</summary>
    public int Record() => (int)Interlocked.Increment(ref _total);

    /// <summary>Closes an interval (the background service calls it).</summary>
    public StatsReport Publish()
    {
        long total = Interlocked.Read(ref _total);
        long inInterval = total - _publishedTotal;
        _publishedTotal = total;
        Latest = new StatsReport(total, inInterval, DateTimeOffset.UtcNow);
        return Latest;
    }
}

/// <summary>Publishes the request count every half second, until the host stops.</summary>
public sealed class StatsPublisher(RequestStats stats) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        long peakPerSecond = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var report = stats.Publish();
                peakPerSecond = Math.Max(peakPerSecond, report.InLastInterval * 2); // @stats-published
                stats.PeakPerSecond = peakPerSecond;
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
