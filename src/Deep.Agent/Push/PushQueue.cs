using Deep.Agent.Diagnostics;
using Deep.Agent.Polling;
using Deep.Agent.Probes;
using Deep.Agent.Transport;
using Deep.Protocol;
using Deep.Protocol.Grpc;

namespace Deep.Agent.Push;

/// <summary>
/// The send queue: a fixed capacity (when full, new snapshots are dropped and counted), one background sender that
/// retries UNAVAILABLE (and other transient failures) with backoff keeping order, gives up on INVALID_ARGUMENT /
/// FAILED_PRECONDITION with a diagnostic, and flushes with a time limit on shutdown. The application thread only
/// ever enqueues.
/// </summary>
internal sealed class PushQueue : ISnapshotSink, IDisposable
{
    private readonly IDeepTransport _transport;
    private readonly int _capacity;
    private readonly TimeSpan _callTimeout;
    private readonly Queue<Snapshot> _queue = new();
    private readonly object _lock = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Backoff _backoff;
    private readonly Thread _thread;
    private Snapshot? _inFlight;
    private long _sent;
    private long _dropped;
    private long _rejected;

    public PushQueue(IDeepTransport transport, int capacity, TimeSpan callTimeout, TimeSpan? retryInitial = null, TimeSpan? retryMax = null)
    {
        _transport = transport;
        _capacity = capacity;
        _callTimeout = callTimeout;
        _backoff = new Backoff(retryInitial ?? TimeSpan.FromMilliseconds(200), retryMax ?? TimeSpan.FromSeconds(30));
        _thread = new Thread(Run) { IsBackground = true, Name = "deep-push" };
        _thread.Start();
    }

    public int Capacity => _capacity;

    /// <summary>Snapshots the server accepted.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Snapshots dropped because the queue was full (or the agent stopped with them unsent).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Snapshots the server refused for good (invalid, too large, ...).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

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
            if (_stop.IsCancellationRequested || _queue.Count >= _capacity)
            {
                Interlocked.Increment(ref _dropped);
                SelfLog.SnapshotDropped(_stop.IsCancellationRequested ? "the agent is stopping" : $"the send queue is full ({_capacity})");
                return false;
            }
            _queue.Enqueue(snapshot);
        }
        _signal.Release();
        return true;
    }

    private void Run()
    {
        ProbeRuntime.MarkAgentThread();
        var token = _stop.Token;
        try
        {
            while (true)
            {
                _signal.Wait(token);
                Snapshot next;
                lock (_lock)
                {
                    if (!_queue.TryDequeue(out next!)) continue;
                    _inFlight = next;
                }
                SendWithRetry(next, token);
                lock (_lock) _inFlight = null;
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
            // stopping: the call in flight was cancelled
        }
        catch (Exception e)
        {
            SelfLog.Error($"snapshot sender stopped: {e.Message}");
        }
    }

    private void SendWithRetry(Snapshot snapshot, CancellationToken token)
    {
        while (true)
        {
            try
            {
                _transport.SendAsync(snapshot, _callTimeout, token).GetAwaiter().GetResult();
                Interlocked.Increment(ref _sent);
                _backoff.Reset();
                return;
            }
            catch (RpcException e) when (e.StatusCode is GrpcStatusCode.InvalidArgument or GrpcStatusCode.FailedPrecondition
                or GrpcStatusCode.Unimplemented or GrpcStatusCode.Unauthenticated or GrpcStatusCode.PermissionDenied)
            {
                // Retrying cannot help: the server will refuse this snapshot every time.
                Interlocked.Increment(ref _rejected);
                SelfLog.SnapshotDropped($"the server refused snapshot of tracepoint {snapshot.Tracepoint?.ID}: {e.StatusCode} {e.Detail}");
                return;
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (rate limited), connection refused: keep the
                // snapshot at the head and retry after a growing, jittered delay.
                var delay = _backoff.Next();
                var what = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Detail}" : e.Message;
                if (_backoff.Failures == 1) SelfLog.Warning($"sending a snapshot failed ({what}); retrying with backoff");
                if (token.WaitHandle.WaitOne(delay)) throw new OperationCanceledException(token);
            }
        }
    }

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
        if (_stop.IsCancellationRequested) return;
        var flushed = Flush(flushTimeout);
        int left;
        lock (_lock)
        {
            _stop.Cancel();
            left = _queue.Count + (_inFlight is null ? 0 : 1);
            _queue.Clear();
        }
        if (!flushed && left > 0)
        {
            Interlocked.Add(ref _dropped, left);
            SelfLog.Warning($"{left} snapshot(s) not sent before the flush time limit");
        }
        _thread.Join(TimeSpan.FromSeconds(1));
    }

    public void Dispose() => Shutdown(TimeSpan.Zero);
}
