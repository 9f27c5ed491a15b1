using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Deep.Protocol;
using Google.Protobuf;
using GT = Deepproto.Proto.Tracepoint.V1;

namespace Deep.Benchmarks;

/// <summary>
/// Our hand-written codec against Google.Protobuf 3.25.1 (generated from the same proto/) on a typical snapshot:
/// one frame, 50 variables, 3 watches, a tracepoint config, attributes and resource.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
// BenchmarkDotNet 0.14 has no Net10_0 moniker: the job runs on the host runtime (.NET 10).
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class CodecBenchmarks
{
    private Snapshot _ours = null!;
    private GT.Snapshot _google = null!;
    private byte[] _bytes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ours = TypicalSnapshot();
        _bytes = ProtoCodec.Encode(_ours);
        _google = GT.Snapshot.Parser.ParseFrom(_bytes);
        if (!_google.ToByteArray().AsSpan().SequenceEqual(_bytes))
            throw new InvalidOperationException("the two codecs disagree on the benchmark snapshot");
    }

    [Benchmark(Baseline = true, Description = "Google.Protobuf")]
    [BenchmarkCategory("Encode")]
    public byte[] EncodeGoogle() => _google.ToByteArray();

    [Benchmark(Description = "Deep.Protocol")]
    [BenchmarkCategory("Encode")]
    public byte[] EncodeOurs() => ProtoCodec.Encode(_ours);

    [Benchmark(Baseline = true, Description = "Google.Protobuf")]
    [BenchmarkCategory("Decode")]
    public GT.Snapshot DecodeGoogle() => GT.Snapshot.Parser.ParseFrom(_bytes);

    [Benchmark(Description = "Deep.Protocol")]
    [BenchmarkCategory("Decode")]
    public Snapshot DecodeOurs() => ProtoCodec.Decode<Snapshot>(_bytes);

    /// <summary>What an agent sends for one hit: values a real capture produces, typed and named like C#.</summary>
    internal static Snapshot TypicalSnapshot()
    {
        var snapshot = new Snapshot
        {
            ID = Guid.Parse("6f1c2a3b-4d5e-4f60-8172-839405a6b7c8").ToByteArray(),
            TsNanos = 1_763_770_000_123_456_789,
            DurationNanos = 183_000,
            LogMsg = "order 1042 total=99.95 items=3",
        };
        var tracepoint = new TracePointConfig { ID = "tp-7f3a", Path = "/src/Shop/Checkout/OrderService.cs", LineNumber = 118 };
        tracepoint.Args["fire_count"] = "-1";
        tracepoint.Args["fire_period"] = "1000";
        tracepoint.Args["log_msg"] = "order {order.Id} total={order.Total} items={order.Items.Count}";
        tracepoint.Watches.AddRange(["order.Total", "order.Items.Count", "customer.Name"]);
        tracepoint.Targeting.Add(new KeyValue("service.name", "shop"));
        snapshot.Tracepoint = tracepoint;

        var frame = new StackFrame
        {
            FileName = "/src/Shop/Checkout/OrderService.cs",
            MethodName = "PlaceOrderAsync",
            LineNumber = 118,
            ClassName = "Shop.Checkout.OrderService",
            IsAsync = true,
            ColumnNumber = 13,
            AppFrame = true,
            ShortPath = "Checkout/OrderService.cs",
        };
        string[] types = ["int", "string", "decimal", "bool", "System.DateTime", "System.Guid", "long", "double"];
        string[] values = ["1042", "\"Ada Lovelace\"", "99.95", "True", "2025-11-22T01:02:03.0000000Z", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "-9223372036854775808", "3.14159"];
        for (var i = 0; i < 50; i++)
        {
            var id = (i + 1).ToString(CultureInfo.InvariantCulture);
            var variable = new Variable { Type = types[i % types.Length], Value = values[i % values.Length], Hash = (0x5F3A0000 + i).ToString("x8", CultureInfo.InvariantCulture) };
            if (i % 10 == 0)
            {
                // Every tenth value is an object whose fields are the next few values.
                variable.Type = "Shop.Checkout.Order";
                variable.Value = "Shop.Checkout.Order";
                for (var c = 1; c <= 4 && i + c < 50; c++)
                    variable.Children.Add(new VariableID { ID = (i + c + 1).ToString(CultureInfo.InvariantCulture), Name = "_field" + c, Modifiers = { "private" } });
            }
            if (i == 49) variable.Truncated = true;
            snapshot.VarLookup[id] = variable;
            if (i % 10 == 0) frame.Variables.Add(new VariableID { ID = id, Name = "local" + i });
        }
        snapshot.Frames.Add(frame);
        snapshot.Watches.Add(new WatchResult { Expression = "order.Total", GoodResult = new VariableID { ID = "3", Name = "order.Total" } });
        snapshot.Watches.Add(new WatchResult { Expression = "order.Items.Count", GoodResult = new VariableID { ID = "1", Name = "order.Items.Count" } });
        snapshot.Watches.Add(new WatchResult { Expression = "customer.Name", ErrorResult = "NullReferenceException: customer is null" });
        snapshot.Attributes.Add(new KeyValue("path", "/src/Shop/Checkout/OrderService.cs"));
        snapshot.Attributes.Add(new KeyValue("line", AnyValue.Of(118L)));
        snapshot.Attributes.Add(new KeyValue("frame", "single_frame"));
        snapshot.Resource.Add(new KeyValue("service.name", "shop"));
        snapshot.Resource.Add(new KeyValue("host.name", "web-01"));
        snapshot.Resource.Add(new KeyValue("process.pid", AnyValue.Of(4242L)));
        snapshot.Resource.Add(new KeyValue("telemetry.sdk.language", "dotnet"));
        return snapshot;
    }
}
