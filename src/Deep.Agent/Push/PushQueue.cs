using Deep.Agent.Capture;
using Deep.Agent.Diagnostics;
using Deep.Agent.Polling;
using Deep.Agent.Transport;
using Deep.Protocol;
using Deep.Protocol.Grpc;

namespace Deep.Agent.Push;

/// <summary>
/// The send queue: a fixed capacity (when full, new snapshots are dropped and counted), one background sender that
/// first makes each snapshot fit the size the agent sends (<see cref="SnapshotSize"/>), drops a snapshot the server
/// refuses for its content (<see cref="SendErrors.IsRefusal"/>: too large, invalid, ...), retries transient failures
/// (UNAVAILABLE, a deadline, a rate limit) with backoff keeping order but at most <see cref="MaxAttempts"/> times per
/// snapshot, so no single snapshot holds the queue for long, and flushes with a time limit on shutdown. The
/// application thread only ever enqueues.
/// </summary>
internal sealed class PushQueue : ISnapshotSink, IDisposable
{
    private readonly IDeepTransport _transport;
    private readonly int _capacity;
    private readonly TimeSpan _callTimeout;
    private readonly int _maxAttempts;
    private readonly int _maxSnapshotBytes;
    private readonly Queue<Snapshot> _queue = new();
    private readonly object _lock = new();
    private readonly Backoff _backoff;
    private readonly AgentWorker _sender;
    private Snapshot? _inFlight;
    private bool _stopped; // under _lock
    private long _sent;
    private long _dropped;
    private long _rejected;
    private long _givenUp;
    private bool _retrying;

    /// <summary>How many times one snapshot is tried by default before it is given up (about 50 s of backoff from 200 ms).</summary>
    public const int DefaultMaxAttempts = 8;

    public PushQueue(IDeepTransport transport, int capacity, TimeSpan callTimeout, TimeSpan? retryInitial = null, TimeSpan? retryMax = null,
        int maxAttempts = DefaultMaxAttempts, int maxSnapshotBytes = CaptureLimits.MaxSnapshotBytes)
    {
        _transport = transport;
        _capacity = capacity;
        _callTimeout = callTimeout;
        _maxAttempts = Math.Max(1, maxAttempts);
        _maxSnapshotBytes = maxSnapshotBytes;
        _backoff = new Backoff(retryInitial ?? TimeSpan.FromMilliseconds(200), retryMax ?? TimeSpan.FromSeconds(30));
        _sender = new AgentWorker("deep-push", SendRound);
        _sender.Start();
    }

    public int Capacity => _capacity;

    /// <summary>Snapshots the server accepted.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Snapshots dropped because the queue was full (or the agent stopped with them unsent).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Snapshots the server refused for good (invalid, too large, ...), or too large to send even when shrunk.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Snapshots dropped after <see cref="MaxAttempts"/> failed attempts.</summary>
    public long GivenUp => Interlocked.Read(ref _givenUp);

    /// <summary>How many times one snapshot is tried before it is dropped.</summary>
    public int MaxAttempts => _maxAttempts;

    /// <summary>
    /// The last send failed and the queue is backing off (the server unreachable or refusing for now): waiting for it
    /// at process exit would only delay the exit.
    /// </summary>
    public bool IsRetrying => Volatile.Read(ref _retrying);

    /// <summary>Snapshots waiting, including the one being sent.</summary>
    public int Pending
    {
        get
        {
            lock (_lock) return _queue.Count + (_inFlight is null ? 0 : 1);
        }
    }

    public bool TryEnqueue(Snapshot snapshot)
    {
        lock (_lock)
        {
            if (_stopped || _queue.Count >= _capacity)
            {
                Interlocked.Increment(ref _dropped);
                SelfLog.SnapshotDropped(_stopped ? "the agent is stopping" : $"the send queue is full ({_capacity})");
                return false;
            }
            _queue.Enqueue(snapshot);
        }
        _sender.Wake();
        return true;
    }

    // One snapshot per round, in order; with none queued, wait for the next TryEnqueue.
    private TimeSpan SendRound(WorkerRound round)
    {
        Snapshot next;
        lock (_lock)
        {
            if (!_queue.TryDequeue(out next!)) return AgentWorker.UntilWoken;
            _inFlight = next;
        }
        try
        {
            SendWithRetry(next, round.Stopping);
        }
        finally
        {
            lock (_lock) _inFlight = null;
        }
        return TimeSpan.Zero;
    }

    private void SendWithRetry(Snapshot snapshot, CancellationToken token)
    {
        bool fits;
        int size;
        try
        {
            fits = SnapshotSize.Fit(snapshot, _maxSnapshotBytes, out size);
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            Interlocked.Increment(ref _rejected);
            SelfLog.SnapshotDropped($"it could not be encoded: {e.GetType().Name}: {e.Message}");
            return;
        }
        if (!fits)
        {
            Interlocked.Increment(ref _rejected);
            SelfLog.SnapshotDropped($"it is too large to send even without its variables ({size} bytes; the limit is {_maxSnapshotBytes})");
            return;
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _transport.SendAsync(snapshot, _callTimeout, token).GetAwaiter().GetResult();
                Interlocked.Increment(ref _sent);
                _backoff.Reset();
                Volatile.Write(ref _retrying, false);
                return;
            }
            catch (RpcException e) when (SendErrors.IsRefusal(e))
            {
                // Retrying cannot help: the server will refuse this snapshot every time. The connection is fine.
                Interlocked.Increment(ref _rejected);
                _backoff.Reset();
                Volatile.Write(ref _retrying, false);
                SelfLog.SnapshotDropped($"the server refused it: {e.StatusCode} {Shorten(e.Detail)}");
                return;
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (rate limited), connection refused: keep the
                // snapshot at the head and retry after a growing, jittered delay; but only so many times, so one
                // snapshot the server keeps failing on cannot hold up everything behind it.
                var what = e is RpcException rpc ? $"{rpc.StatusCode}: {Shorten(rpc.Detail)}" : e.Message;
                Volatile.Write(ref _retrying, true);
                if (attempt >= _maxAttempts)
                {
                    Interlocked.Increment(ref _givenUp);
                    SelfLog.SnapshotDropped($"sending failed {attempt} times (last: {what})");
                    return;
                }
                var delay = _backoff.Next();
                if (_backoff.Failures == 1) SelfLog.Warning($"sending a snapshot failed ({what}); retrying with backoff");
                if (token.WaitHandle.WaitOne(delay)) throw new OperationCanceledException(token);
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";

    /// <summary>Waits until the queue is empty, at most <paramref name="timeout"/>; true when everything was sent.</summary>
    public bool Flush(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Pending > 0)
        {
            if (Environment.TickCount64 >= deadline) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    /// <summary>Flushes for at most <paramref name="flushTimeout"/>, then stops; what is left is counted as dropped.</summary>
    public void Shutdown(TimeSpan flushTimeout)
    {
        lock (_lock)
        {
            if (_stopped) return;
        }
        var flushed = Flush(flushTimeout);
        int left;
        lock (_lock)
        {
            _stopped = true;
            left = _queue.Count + (_inFlight is null ? 0 : 1);
            _queue.Clear();
        }
        if (!flushed && left > 0)
        {
            Interlocked.Add(ref _dropped, left);
            SelfLog.Warning($"{left} snapshot(s) not sent before the flush time limit");
        }
        _sender.Stop(TimeSpan.FromSeconds(1)); // cancels the send in flight
    }

    public void Dispose() => Shutdown(TimeSpan.Zero);
}
