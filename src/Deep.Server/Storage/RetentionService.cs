using Microsoft.Extensions.Logging;

namespace Deep.Server.Storage;

/// <summary>Deletes snapshots older than the retention and beyond the count limit, on a background timer.</summary>
internal sealed class RetentionService : IAsyncDisposable
{
    private readonly SnapshotStore _store;
    private readonly TimeSpan? _maxAge;
    private readonly long? _maxCount;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RetentionService(SnapshotStore store, TimeSpan? maxAge, long? maxCount, TimeSpan interval, ILogger logger)
    {
        _store = store;
        _maxAge = maxAge;
        _maxCount = maxCount;
        _logger = logger;
        _loop = maxAge is null && maxCount is null ? Task.CompletedTask : RunAsync(interval);
    }

    /// <summary>One pass; returns how many snapshots were deleted.</summary>
    public int ApplyOnce()
    {
        var deleted = 0;
        if (_maxAge is { } age) deleted += _store.DeleteReceivedBefore(Deep.Protocol.UnixNanos.Now() - age.Ticks * 100);
        if (_maxCount is { } count) deleted += _store.DeleteBeyondCount(count);
        return deleted;
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                var deleted = ApplyOnce();
                if (deleted > 0) _logger.LogInformation("retention deleted {Count} snapshots", deleted);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "retention failed; retrying at the next interval");
            }
            try
            {
                if (!await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false)) break;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        while (true);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
