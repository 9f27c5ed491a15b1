using System.Globalization;
using Deep.Server.Polling;
using Deepproto.Proto.Poll.V1;
using Grpc.Core;
using Microsoft.Extensions.Hosting;

namespace Deep.Server.Grpc;

/// <summary><c>PollConfig/poll</c>: the caller's tracepoints, held as a long poll when the client asks for it.</summary>
internal sealed class PollConfigHandler(PollService polls, DeepServerOptions options, IHostApplicationLifetime lifetime) : PollConfig.PollConfigBase
{
    /// <summary>Request header by which a client asks for a long poll: how many seconds the server may hold the answer.</summary>
    public const string LongPollHeader = "deep-long-poll";

    public override async Task<PollResponse> poll(PollRequest request, ServerCallContext context)
    {
        var holdFor = HoldFor(context);
        // A stopping server lets its long polls go (they answer NO_CHANGE) rather than cutting them.
        using var hold = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        return await polls.PollAsync(GrpcCallGate.Tenant(context), request.CurrentHash, request.Resource?.Attributes, holdFor, hold.Token).ConfigureAwait(false);
    }

    private TimeSpan HoldFor(ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue(LongPollHeader) is not { } text) return TimeSpan.Zero;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0 || double.IsNaN(seconds))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the {LongPollHeader} header must be a number of seconds, not '{text}'"));
        var holdFor = TimeSpan.FromSeconds(Math.Min(seconds, options.MaxLongPoll.TotalSeconds));
        if (context.Deadline != DateTime.MaxValue)
        {
            // Answer before the client's deadline so it gets NO_CHANGE rather than DEADLINE_EXCEEDED.
            var left = context.Deadline - DateTime.UtcNow;
            var margin = TimeSpan.FromTicks(Math.Max(left.Ticks / 10, TimeSpan.FromMilliseconds(200).Ticks));
            var allowed = left - margin;
            if (allowed < holdFor) holdFor = allowed > TimeSpan.Zero ? allowed : TimeSpan.Zero;
        }
        return holdFor;
    }
}
