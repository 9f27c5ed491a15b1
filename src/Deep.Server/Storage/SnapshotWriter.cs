using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Deep.Server.Storage;

/// <summary>
/// Group commit: sends queue their snapshot here and wait; one background loop takes everything queued (up to a
/// batch limit), writes it in one transaction, and only after the commit returned completes every waiting send.
/// That is one transaction (and one WAL append) per batch instead of one per snapshot, and an acknowledged send is
/// in the database file's WAL (see <see cref="DeepDatabase"/> for what that survives).
/// </summary>
internal sealed class SnapshotWriter : IAsyncDisposable
{
    private const int MaxBatchCount = 1024;
    private const long MaxBatchBytes = 32L * 1024 * 1024;

    private readonly DeepDatabase _database;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue;
    private readonly Task _loop;
    private long _written;

    public SnapshotWriter(DeepDatabase database, ILogger logger, int capacity = 20_000)
    {
        _database = database;
        _logger = logger;
        // Bounded so a flood of senders waits (back-pressure) instead of growing memory without limit.
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>How many snapshots were committed since start (including ones that were already stored).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Raised after each committed batch, for tail-style readers and retention by count.</summary>
    public event Action? Committed;

    /// <summary>Completes when <paramref name="record"/> is committed; fails if the write failed or the writer stopped.</summary>
    public async Task WriteAsync(SnapshotRecord record, CancellationToken cancellationToken)
    {
        var pending = new Pending(record);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("the server is stopping");
        }
        // Not cancellable once queued: the caller learns the outcome of a write that will happen anyway.
        await pending.Done.Task.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatchCount);
        using var connection = _database.Open();
        using var insert = connection.CreateCommand();
        insert.CommandText =
            """
            INSERT OR IGNORE INTO snapshots
                (tenant, id, tracepoint_id, service_name, file_path, line_no, ts_nanos, duration_nanos, received_ns, data)
            VALUES ($tenant, $id, $tp, $service, $path, $line, $ts, $duration, $received, $data)
            """;
        var pTenant = insert.Parameters.Add("$tenant", SqliteType.Text);
        var pId = insert.Parameters.Add("$id", SqliteType.Blob);
        var pTp = insert.Parameters.Add("$tp", SqliteType.Text);
        var pService = insert.Parameters.Add("$service", SqliteType.Text);
        var pPath = insert.Parameters.Add("$path", SqliteType.Text);
        var pLine = insert.Parameters.Add("$line", SqliteType.Integer);
        var pTs = insert.Parameters.Add("$ts", SqliteType.Integer);
        var pDuration = insert.Parameters.Add("$duration", SqliteType.Integer);
        var pReceived = insert.Parameters.Add("$received", SqliteType.Integer);
        var pData = insert.Parameters.Add("$data", SqliteType.Blob);

        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            long bytes = 0;
            while (batch.Count < MaxBatchCount && bytes < MaxBatchBytes && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
                bytes += item.Record.Data.Length;
            }
            if (batch.Count == 0) continue;
            try
            {
                using (var tx = connection.BeginTransaction())
                {
                    insert.Transaction = tx;
                    var received = Deep.Protocol.UnixNanos.Now();
                    foreach (var p in batch)
                    {
                        var r = p.Record;
                        pTenant.Value = r.Tenant;
                        pId.Value = r.Id;
                        pTp.Value = r.TracepointId;
                        pService.Value = r.ServiceName;
                        pPath.Value = r.FilePath;
                        pLine.Value = r.LineNo;
                        pTs.Value = r.TsNanos;
                        pDuration.Value = r.DurationNanos;
                        pReceived.Value = received;
                        pData.Value = r.Data;
                        insert.ExecuteNonQuery();
                    }
                    tx.Commit();
                }
                Interlocked.Add(ref _written, batch.Count);
                foreach (var p in batch) p.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "could not store a batch of {Count} snapshots", batch.Count);
                foreach (var p in batch) p.Done.TrySetException(new InvalidOperationException("the snapshot could not be stored: " + ex.Message, ex));
            }
            finally
            {
                insert.Transaction = null;
            }
            try
            {
                Committed?.Invoke();
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "a commit listener failed");
            }
        }
    }

    /// <summary>Stops taking new snapshots, writes everything already queued, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed class Pending(SnapshotRecord record)
    {
        public SnapshotRecord Record { get; } = record;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
