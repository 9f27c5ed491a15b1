using Deepproto.Proto.Common.V1;
using Deepproto.Proto.Poll.V1;

namespace Deep.Server.Polling;

/// <summary>Answers a poll: the client's tracepoints, <c>NO_CHANGE</c> when it has them, optionally held (long poll).</summary>
internal sealed class PollService(TracepointRegistry registry)
{
    /// <summary>
    /// Answers <paramref name="request"/>. With <paramref name="holdFor"/> positive and the client's hash current, waits
    /// until the client's tracepoints change or the time passes (or <paramref name="cancellationToken"/> fires, which
    /// also answers <c>NO_CHANGE</c>: a stopping server lets its long polls go rather than failing them).
    /// </summary>
    public async Task<PollResponse> PollAsync(string tenant, string? clientHash, IReadOnlyList<KeyValue>? resource,
        TimeSpan holdFor, CancellationToken cancellationToken)
    {
        var (all, changed) = registry.Current(tenant);
        var mine = Targeting.Select(all, resource);
        var hash = PollHash.Compute(mine);
        if (holdFor > TimeSpan.Zero && hash == clientHash)
        {
            var deadline = DateTime.UtcNow + holdFor;
            while (true)
            {
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero) break;
                try
                {
                    await changed.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                (all, changed) = registry.Current(tenant);
                mine = Targeting.Select(all, resource);
                hash = PollHash.Compute(mine);
                // A change for other clients only (targeting) does not end this client's wait.
                if (hash != clientHash) break;
            }
        }
        var response = new PollResponse
        {
            TsNanos = (ulong)Deep.Protocol.UnixNanos.Now(),
            CurrentHash = hash,
        };
        if (hash == clientHash)
        {
            response.ResponseType = ResponseType.NoChange;
        }
        else
        {
            response.ResponseType = ResponseType.Update;
            response.Response.AddRange(mine);
        }
        return response;
    }
}
