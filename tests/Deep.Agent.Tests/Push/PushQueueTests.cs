using System.Collections.Concurrent;
using Deep.Agent.Push;
using Deep.Agent.Transport;
using Deep.Protocol;
using Deep.Protocol.Grpc;

namespace Deep.Agent.Tests.Push;

/// <summary>
/// The queue's policies against a scripted server. (The same queue against a real gRPC server is covered by the
/// interop tests.)
/// </summary>
public class PushQueueTests
{
    private sealed class ScriptedServer : IDeepTransport
    {
        public volatile Func<Snapshot, Exception?> Answer = _ => null;
        public ConcurrentQueue<Snapshot> Received { get; } = new();
        public int Attempts;
        public ManualResetEventSlim Gate { get; } = new(true);

        public Task<PollResponse> PollAsync(PollRequest request, TimeSpan? longPoll, TimeSpan timeout, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task SendAsync(Snapshot snapshot, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Gate.Wait(cancellationToken);
            Interlocked.Increment(ref Attempts);
            if (Answer(snapshot) is { } error) return Task.FromException(error);
            Received.Enqueue(snapshot);
            return Task.CompletedTask;
        }

        public void Dispose()
        {
        }
    }

    private static Snapshot Snap(int n) => new() { ID = new byte[16], Tracepoint = new TracePointConfig { ID = $"tp-{n}" } };

    [Fact]
    public void Snapshots_are_sent_in_order()
    {
        var server = new ScriptedServer();
        using var queue = new PushQueue(server, 100, TimeSpan.FromSeconds(5));
        for (var i = 0; i < 20; i++) Assert.True(queue.TryEnqueue(Snap(i)));
        Assert.True(queue.Flush(TimeSpan.FromSeconds(10)));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"tp-{i}"), server.Received.Select(s => s.Tracepoint!.ID));
        Assert.Equal(20, queue.Sent);
    }

    [Fact]
    public void The_queue_says_it_is_retrying_while_the_server_fails_and_not_once_a_send_succeeds()
    {
        // Process exit does not wait for a queue in this state (the server unreachable): it could only fail.
        var server = new ScriptedServer { Answer = _ => new RpcException(GrpcStatusCode.Unavailable, "down") };
        using var queue = new PushQueue(server, 10, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(50));
        Assert.False(queue.IsRetrying);
        Assert.True(queue.TryEnqueue(Snap(0)));
        Poll.Until(() => queue.IsRetrying, "the queue backing off");
        Assert.Equal(1, queue.Pending);
        server.Answer = _ => null;
        Assert.True(queue.Flush(TimeSpan.FromSeconds(30)));
        Assert.False(queue.IsRetrying);
        Assert.Equal(1, queue.Sent);
    }

    [Fact]
    public void A_full_queue_drops_new_snapshots_and_counts_them()
    {
        // Defect 9: the reference agent's send queue was unbounded.
        var server = new ScriptedServer();
        server.Gate.Reset(); // the sender is stuck on the first snapshot
        using var queue = new PushQueue(server, 3, TimeSpan.FromSeconds(5));
        Assert.True(queue.TryEnqueue(Snap(0)));
        Poll.Until(() => queue.Pending == 1 && server.Gate.IsSet == false, "the first snapshot in flight");
        Thread.Sleep(50);
        var accepted = Enumerable.Range(1, 10).Count(i => queue.TryEnqueue(Snap(i)));
        Assert.True(accepted is 3 or 4, $"accepted {accepted}");
        Assert.Equal(10 - accepted, queue.Dropped);
        server.Gate.Set();
        Assert.True(queue.Flush(TimeSpan.FromSeconds(10)));
        Assert.Equal(1 + accepted, server.Received.Count);
    }

    [Fact]
    public void Unavailable_is_retried_with_backoff_and_nothing_is_lost()
    {
        // Defect 9: no retry, no backoff.
        var server = new ScriptedServer();
        var failuresLeft = 3;
        server.Answer = _ => Interlocked.Decrement(ref failuresLeft) >= 0 ? new RpcException(GrpcStatusCode.Unavailable, "server restarting") : null;
        using var queue = new PushQueue(server, 100, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100));
        queue.TryEnqueue(Snap(1));
        queue.TryEnqueue(Snap(2));
        Assert.True(queue.Flush(TimeSpan.FromSeconds(10)));
        Assert.Equal(["tp-1", "tp-2"], server.Received.Select(s => s.Tracepoint!.ID));
        Assert.Equal(5, server.Attempts);
        Assert.Equal(0, queue.Dropped);
    }

    [Theory]
    [InlineData(GrpcStatusCode.InvalidArgument)]
    [InlineData(GrpcStatusCode.FailedPrecondition)]
    public void A_snapshot_the_server_refuses_for_good_is_given_up_and_the_next_one_is_sent(GrpcStatusCode code)
    {
        var server = new ScriptedServer();
        server.Answer = s => s.Tracepoint!.ID == "tp-1" ? new RpcException(code, "SNAPSHOT_TOO_LARGE: too big") : null;
        using var queue = new PushQueue(server, 100, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));
        queue.TryEnqueue(Snap(1));
        queue.TryEnqueue(Snap(2));
        Assert.True(queue.Flush(TimeSpan.FromSeconds(10)));
        Assert.Equal(["tp-2"], server.Received.Select(s => s.Tracepoint!.ID));
        Assert.Equal(1, queue.Rejected);
        Assert.Equal(2, server.Attempts);
    }

    [Fact]
    public void Shutdown_with_the_server_down_returns_within_the_flush_limit_and_counts_what_was_left()
    {
        var server = new ScriptedServer { Answer = _ => new RpcException(GrpcStatusCode.Unavailable, "down") };
        var queue = new PushQueue(server, 100, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50));
        for (var i = 0; i < 5; i++) queue.TryEnqueue(Snap(i));
        var started = DateTime.UtcNow;
        queue.Shutdown(TimeSpan.FromMilliseconds(300));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        // Each one is counted: dropped at shutdown, or given up after its attempts before it.
        Assert.Equal(5, queue.Dropped + queue.GivenUp);
        Assert.False(queue.TryEnqueue(Snap(9)));
    }

    [Theory]
    [InlineData(GrpcStatusCode.InvalidArgument, "the snapshot ID must be exactly 16 bytes, not 3", true)]
    [InlineData(GrpcStatusCode.FailedPrecondition, "SNAPSHOT_TOO_LARGE: the snapshot is 6000000 bytes; the limit is 5000000 bytes", true)]
    [InlineData(GrpcStatusCode.FailedPrecondition, "LIVE_SNAPSHOTS_EXCEEDED: too many", true)]
    [InlineData(GrpcStatusCode.ResourceExhausted, "the message is 9000000 bytes; the limit is 5000000 bytes", true)]
    [InlineData(GrpcStatusCode.ResourceExhausted, "Received message larger than max (9000000 vs. 4194304)", true)]
    [InlineData(GrpcStatusCode.Internal, "the server failed: Request body too large. The max request body size is 8388608 bytes.", true)]
    [InlineData(GrpcStatusCode.Unknown, "the server answered HTTP 413 (Payload Too Large) instead of a gRPC response", true)]
    [InlineData(GrpcStatusCode.Unauthenticated, "no credentials", true)]
    [InlineData(GrpcStatusCode.ResourceExhausted, "RATE_LIMITED: slow down", false)]
    [InlineData(GrpcStatusCode.ResourceExhausted, "HTTP/2 error 11 from http://x: ENHANCE_YOUR_CALM", false)]
    [InlineData(GrpcStatusCode.Unavailable, "http://x is unreachable: Connection refused", false)]
    [InlineData(GrpcStatusCode.DeadlineExceeded, "the deadline of 00:00:10 passed", false)]
    [InlineData(GrpcStatusCode.Internal, "HTTP/2 error 2 from http://x: stream reset", false)]
    [InlineData(GrpcStatusCode.Aborted, "", false)]
    public void Send_failures_are_refusals_of_the_snapshot_or_worth_retrying(GrpcStatusCode code, string detail, bool refusal) =>
        Assert.Equal(refusal, SendErrors.IsRefusal(new RpcException(code, detail)));

    [Theory]
    [InlineData(GrpcStatusCode.Internal)]
    [InlineData(GrpcStatusCode.Unavailable)]
    [InlineData(GrpcStatusCode.DeadlineExceeded)]
    [InlineData(GrpcStatusCode.Unknown)]
    public void A_snapshot_that_keeps_failing_is_given_up_after_its_attempts_and_the_next_one_is_sent(GrpcStatusCode code)
    {
        // Issue #12 item 4: one snapshot retried forever held up everything queued behind it.
        var server = new ScriptedServer();
        server.Answer = s => s.Tracepoint!.ID == "tp-1" ? new RpcException(code, "fails every time") : null;
        using var queue = new PushQueue(server, 100, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(20), maxAttempts: 4);
        queue.TryEnqueue(Snap(1));
        queue.TryEnqueue(Snap(2));
        Assert.True(queue.Flush(TimeSpan.FromSeconds(10)));
        Assert.Equal(["tp-2"], server.Received.Select(s => s.Tracepoint!.ID));
        Assert.Equal(1, queue.GivenUp);
        Assert.Equal(0, queue.Rejected);
        Assert.Equal(5, server.Attempts);
    }

    [Fact]
    public void A_rate_limit_is_waited_out_not_dropped()
    {
        var server = new ScriptedServer();
        var limited = 2;
        server.Answer = _ => Interlocked.Decrement(ref limited) >= 0 ? new RpcException(GrpcStatusCode.ResourceExhausted, "RATE_LIMITED: slow down") : null;
        using var queue = new PushQueue(server, 100, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(20), maxAttempts: 4);
        queue.TryEnqueue(Snap(1));
        Assert.True(queue.Flush(TimeSpan.FromSeconds(10)));
        Assert.Equal(["tp-1"], server.Received.Select(s => s.Tracepoint!.ID));
        Assert.Equal(0, queue.GivenUp + queue.Rejected);
    }
}
