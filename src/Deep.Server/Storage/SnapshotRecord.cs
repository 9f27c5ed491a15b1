using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Storage;

/// <summary>A snapshot as stored: its protobuf bytes plus the columns searches use.</summary>
internal sealed record SnapshotRecord(
    string Tenant,
    byte[] Id,
    string TracepointId,
    string ServiceName,
    string FilePath,
    long LineNo,
    long TsNanos,
    long DurationNanos,
    byte[] Data)
{
    /// <summary>Picks the indexed columns out of a decoded snapshot; <paramref name="data"/> is its wire bytes.</summary>
    public static SnapshotRecord From(string tenant, Snapshot snapshot, byte[] data)
    {
        var service = "";
        foreach (var kv in snapshot.Resource)
        {
            if (kv.Key == "service.name" && kv.Value is { } v)
            {
                service = v.ValueCase == Deepproto.Proto.Common.V1.AnyValue.ValueOneofCase.StringValue ? v.StringValue : v.ToString();
                break;
            }
        }
        var path = snapshot.Tracepoint?.Path ?? "";
        long line = snapshot.Tracepoint?.LineNumber ?? 0;
        if (path.Length == 0 && snapshot.Frames.Count > 0)
        {
            path = snapshot.Frames[0].FileName;
            line = snapshot.Frames[0].LineNumber;
        }
        return new SnapshotRecord(
            tenant,
            snapshot.ID.ToByteArray(),
            snapshot.Tracepoint?.ID ?? "",
            service,
            path,
            line,
            unchecked((long)snapshot.TsNanos),
            unchecked((long)snapshot.DurationNanos),
            data);
    }
}

/// <summary>One row of a search answer (the DEEP server's search result shape).</summary>
internal sealed record SnapshotSummary(byte[] Id, string TracepointId, string ServiceName, string FilePath, long LineNo, long TsNanos, long DurationNanos);
