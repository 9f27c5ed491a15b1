namespace Deep.Protocol.Grpc;

/// <summary>gRPC status codes (the numbers are the wire values of <c>grpc-status</c>).</summary>
public enum GrpcStatusCode
{
    /// <summary>Success.</summary>
    OK = 0,
    /// <summary>The call was cancelled, typically by the caller.</summary>
    Cancelled = 1,
    /// <summary>Unknown error.</summary>
    Unknown = 2,
    /// <summary>The client sent something invalid.</summary>
    InvalidArgument = 3,
    /// <summary>The deadline passed before the call completed.</summary>
    DeadlineExceeded = 4,
    /// <summary>Not found.</summary>
    NotFound = 5,
    /// <summary>Already exists.</summary>
    AlreadyExists = 6,
    /// <summary>Permission denied.</summary>
    PermissionDenied = 7,
    /// <summary>A resource or rate limit was exhausted.</summary>
    ResourceExhausted = 8,
    /// <summary>The system is not in a state the operation needs.</summary>
    FailedPrecondition = 9,
    /// <summary>Aborted.</summary>
    Aborted = 10,
    /// <summary>Out of range.</summary>
    OutOfRange = 11,
    /// <summary>The server does not implement this method.</summary>
    Unimplemented = 12,
    /// <summary>Internal error.</summary>
    Internal = 13,
    /// <summary>The service is unavailable (down, unreachable, connection refused).</summary>
    Unavailable = 14,
    /// <summary>Data loss.</summary>
    DataLoss = 15,
    /// <summary>The request lacks valid credentials.</summary>
    Unauthenticated = 16,
}

/// <summary>A gRPC call that ended with a status other than OK.</summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RpcException(GrpcStatusCode statusCode, string? detail, Exception? inner = null)
        : base(string.IsNullOrEmpty(detail) ? $"gRPC status {statusCode}" : $"gRPC status {statusCode}: {detail}", inner)
    {
        StatusCode = statusCode;
        Detail = detail ?? "";
    }

    /// <summary>The status the call ended with.</summary>
    public GrpcStatusCode StatusCode { get; }

    /// <summary>The status message (<c>grpc-message</c>, decoded).</summary>
    public string Detail { get; }
}
