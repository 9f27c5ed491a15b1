namespace Deep.Protocol;

/// <summary><c>deepproto.proto.poll.v1.ResponseType</c>.</summary>
public enum ResponseType
{
    /// <summary>The client's hash is current; its tracepoints are unchanged.</summary>
    NoChange = 0,
    /// <summary>The response carries the full new list of tracepoints.</summary>
    Update = 1,
}

/// <summary><c>deepproto.proto.poll.v1.PollRequest</c>.</summary>
public sealed partial class PollRequest
{
    /// <summary>Field 1 (fixed64): send time, epoch nanoseconds.</summary>
    public ulong TsNanos { get; set; }

    /// <summary>Field 2: the hash the server last sent; empty on the first poll.</summary>
    public string CurrentHash { get; set; } = "";

    /// <summary>Field 3: the client's identity; null when absent.</summary>
    public Resource? Resource { get; set; }
}

/// <summary><c>deepproto.proto.poll.v1.PollResponse</c>.</summary>
public sealed partial class PollResponse
{
    /// <summary>Field 1 (fixed64).</summary>
    public ulong TsNanos { get; set; }

    /// <summary>Field 2.</summary>
    public string CurrentHash { get; set; } = "";

    /// <summary>Field 3: the tracepoints.</summary>
    public List<TracePointConfig> Response { get; } = new();

    /// <summary>Field 4.</summary>
    public ResponseType ResponseType { get; set; }
}
