using Deepproto.Proto.Common.V1;
using Deepproto.Proto.Poll.V1;
using Deepproto.Proto.Resource.V1;
using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;

namespace Deep.Server.Tests;

/// <summary>Messages the tests send.</summary>
internal static class Samples
{
    public static Snapshot Snapshot(string tracepointId = "tp-1", string service = "shop", int payloadBytes = 200, ulong? ts = null)
    {
        var s = new Snapshot
        {
            ID = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
            TsNanos = ts ?? (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000),
            DurationNanos = 1234,
            Tracepoint = new TracePointConfig { ID = tracepointId, Path = "OrderService.cs", LineNumber = 42 },
            LogMsg = "total 3",
        };
        s.Resource.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } });
        s.Attributes.Add(new KeyValue { Key = "env", Value = new AnyValue { StringValue = "test" } });
        var frame = new StackFrame { FileName = "/src/Shop/OrderService.cs", MethodName = "Place", ClassName = "Shop.OrderService", LineNumber = 42 };
        frame.Variables.Add(new VariableID { ID = "1", Name = "order" });
        s.Frames.Add(frame);
        var order = new Variable { Type = "Shop.Order", Value = "Shop.Order", Hash = "77" };
        order.Children.Add(new VariableID { ID = "2", Name = "Total" });
        order.Children.Add(new VariableID { ID = "3", Name = "Note" });
        s.VarLookup["1"] = order;
        s.VarLookup["2"] = new Variable { Type = "decimal", Value = "3" };
        s.VarLookup["3"] = new Variable { Type = "string", Value = new string('x', Math.Max(0, payloadBytes)) };
        s.Watches.Add(new WatchResult { Expression = "order.Total", GoodResult = new VariableID { ID = "2", Name = "order.Total" } });
        return s;
    }

    public static PollRequest Poll(string? hash = null, params (string Key, string Value)[] resource)
    {
        var request = new PollRequest { TsNanos = 1 };
        if (hash is not null) request.CurrentHash = hash;
        if (resource.Length > 0)
        {
            request.Resource = new Resource();
            foreach (var (k, v) in resource) request.Resource.Attributes.Add(new KeyValue { Key = k, Value = new AnyValue { StringValue = v } });
        }
        return request;
    }

    public static string TracepointJson(string path = "OrderService.cs", int line = 42, string extra = "")
        => $"{{\"tracepoint\":{{\"path\":\"{path}\",\"lineNumber\":{line}{extra}}}}}";
}
