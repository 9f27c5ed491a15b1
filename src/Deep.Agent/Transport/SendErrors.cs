using Deep.Protocol.Grpc;

namespace Deep.Agent.Transport;

/// <summary>How the agent treats a failed <c>SnapshotService/send</c>.</summary>
internal static class SendErrors
{
    /// <summary>
    /// True when the server refused this snapshot for what it is (too large, invalid, not allowed): sending it again
    /// gets the same answer, so it is dropped. Everything else (UNAVAILABLE, DEADLINE_EXCEEDED, a rate limit, a
    /// connection cut mid-call) may succeed later and is retried, a bounded number of times.
    /// </summary>
    public static bool IsRefusal(RpcException e) => e.StatusCode switch
    {
        GrpcStatusCode.InvalidArgument or GrpcStatusCode.FailedPrecondition or GrpcStatusCode.OutOfRange
            or GrpcStatusCode.NotFound or GrpcStatusCode.AlreadyExists or GrpcStatusCode.Unimplemented
            or GrpcStatusCode.Unauthenticated or GrpcStatusCode.PermissionDenied => true,
        // RESOURCE_EXHAUSTED is both "slow down" (RATE_LIMITED:, an HTTP/2 ENHANCE_YOUR_CALM) and "this message is
        // too large" (a size limit); only the second is about the snapshot itself. A request-size limit in front of
        // the service may also answer INTERNAL or UNKNOWN (Kestrel's "Request body too large", a proxy's HTTP 413).
        _ => IsSizeRefusal(e.Detail),
    };

    private static bool IsSizeRefusal(string? detail) =>
        detail is not null && !detail.StartsWith("RATE_LIMITED", StringComparison.Ordinal)
        && (detail.Contains("TOO_LARGE", StringComparison.OrdinalIgnoreCase) || detail.Contains("too large", StringComparison.OrdinalIgnoreCase)
            || detail.Contains("larger than", StringComparison.OrdinalIgnoreCase) || detail.Contains("the limit is", StringComparison.Ordinal));
}
