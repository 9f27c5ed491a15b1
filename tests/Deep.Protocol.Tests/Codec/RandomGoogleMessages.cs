using Google.Protobuf;
using GC = Deepproto.Proto.Common.V1;
using GP = Deepproto.Proto.Poll.V1;
using GR = Deepproto.Proto.Resource.V1;
using GT = Deepproto.Proto.Tracepoint.V1;

namespace Deep.Protocol.Tests.Codec;

/// <summary>
/// Random DEEP messages built with Google.Protobuf's classes from a fixed seed: every field sometimes absent,
/// sometimes default, sometimes extreme; strings mix ASCII, multi-byte and astral characters.
/// </summary>
internal sealed class RandomGoogleMessages(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly string[] s_samples =
    [
        "", "a", "x", "name", "System.Collections.Generic.List<int>", "héllo wörld", "日本語のテキスト", "emoji 😀🎉",
        "<x>5__2", "line\nbreak\ttab\0nul", new string('a', 127), new string('b', 128), new string('c', 300),
        "Ω≈ç√∫", "/src/app/Program.cs", "2166136261",
    ];

    private bool Chance(int percent) => _random.Next(100) < percent;

    private int Count(int max) => Chance(30) ? 0 : _random.Next(max + 1);

    public string String()
    {
        if (Chance(70)) return s_samples[_random.Next(s_samples.Length)];
        var length = _random.Next(0, 200);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = _random.Next(10) switch
            {
                0 => (char)_random.Next(0x80, 0x800),
                1 => (char)_random.Next(0x800, 0xD800),
                _ => (char)_random.Next(0x20, 0x7F),
            };
        }
        return new string(chars);
    }

    public uint UInt32() => _random.Next(6) switch
    {
        0 => 0,
        1 => uint.MaxValue,
        2 => (uint)_random.Next(1, 128),
        3 => 1u << _random.Next(32),
        _ => (uint)_random.NextInt64(0, 1L << 32),
    };

    public ulong UInt64() => _random.Next(5) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => 1UL << _random.Next(64),
        _ => (ulong)_random.NextInt64() ^ ((ulong)_random.Next(2) << 63),
    };

    public long Int64() => _random.Next(6) switch
    {
        0 => 0,
        1 => long.MinValue,
        2 => long.MaxValue,
        3 => -1,
        4 => -_random.NextInt64(1, 1000),
        _ => _random.NextInt64(long.MinValue, long.MaxValue),
    };

    public double Double() => _random.Next(8) switch
    {
        0 => 0.0,
        1 => -0.0,
        2 => double.NaN,
        3 => double.PositiveInfinity,
        4 => double.MinValue,
        5 => double.Epsilon,
        _ => (_random.NextDouble() - 0.5) * Math.Pow(10, _random.Next(-30, 30)),
    };

    public ByteString Bytes(int max = 40)
    {
        var bytes = new byte[Chance(20) ? 0 : _random.Next(max)];
        _random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    public GC.AnyValue AnyValue(int depth = 0)
    {
        var value = new GC.AnyValue();
        var choice = _random.Next(depth >= 3 ? 5 : 8);
        switch (choice)
        {
            case 0: value.StringValue = String(); break;
            case 1: value.BoolValue = Chance(50); break;
            case 2: value.IntValue = Int64(); break;
            case 3: value.DoubleValue = Double(); break;
            case 4: value.BytesValue = Bytes(); break;
            case 5:
                value.ArrayValue = new GC.ArrayValue();
                for (var i = Count(3); i > 0; i--) value.ArrayValue.Values.Add(AnyValue(depth + 1));
                break;
            case 6:
                value.KvlistValue = new GC.KeyValueList();
                for (var i = Count(3); i > 0; i--) value.KvlistValue.Values.Add(KeyValue(depth + 1));
                break;
            default: break; // unset oneof
        }
        return value;
    }

    public GC.ArrayValue ArrayValue()
    {
        var value = new GC.ArrayValue();
        for (var i = Count(4); i > 0; i--) value.Values.Add(AnyValue(1));
        return value;
    }

    public GC.KeyValueList KeyValueList()
    {
        var value = new GC.KeyValueList();
        for (var i = Count(4); i > 0; i--) value.Values.Add(KeyValue(1));
        return value;
    }

    public GC.KeyValue KeyValue(int depth = 0)
        => new() { Key = String(), Value = Chance(80) ? AnyValue(depth + 1) : null };

    public GR.Resource Resource()
    {
        var value = new GR.Resource { DroppedAttributesCount = UInt32() };
        for (var i = Count(5); i > 0; i--) value.Attributes.Add(KeyValue());
        return value;
    }

    public GP.PollRequest PollRequest()
        => new() { TsNanos = UInt64(), CurrentHash = String(), Resource = Chance(70) ? Resource() : null };

    public GP.PollResponse PollResponse()
    {
        var value = new GP.PollResponse
        {
            TsNanos = UInt64(),
            CurrentHash = String(),
            ResponseType = Chance(10) ? (GP.ResponseType)_random.Next(-5, 5) : (GP.ResponseType)_random.Next(2),
        };
        for (var i = Count(3); i > 0; i--) value.Response.Add(TracePointConfig());
        return value;
    }

    public GT.TracePointConfig TracePointConfig()
    {
        var value = new GT.TracePointConfig { ID = String(), Path = String(), LineNumber = UInt32() };
        for (var i = Count(6); i > 0; i--) value.Args[String()] = String();
        for (var i = Count(3); i > 0; i--) value.Watches.Add(String());
        for (var i = Count(3); i > 0; i--) value.Targeting.Add(KeyValue());
        for (var i = Count(2); i > 0; i--) value.Metrics.Add(Metric());
        return value;
    }

    public GT.Metric Metric()
    {
        var value = new GT.Metric { Name = String(), Type = (GT.MetricType)_random.Next(4) };
        for (var i = Count(3); i > 0; i--) value.LabelExpressions.Add(LabelExpression());
        if (Chance(50)) value.Expression = String();
        if (Chance(50)) value.Namespace = String();
        if (Chance(50)) value.Help = String();
        if (Chance(50)) value.Unit = String();
        return value;
    }

    public GT.LabelExpression LabelExpression()
    {
        var value = new GT.LabelExpression { Key = String() };
        switch (_random.Next(3))
        {
            case 0: value.Static = AnyValue(1); break;
            case 1: value.Expression = String(); break;
        }
        return value;
    }

    public GT.VariableID VariableID()
    {
        var value = new GT.VariableID { ID = String(), Name = String() };
        for (var i = Count(3); i > 0; i--) value.Modifiers.Add(String());
        if (Chance(40)) value.OriginalName = String();
        return value;
    }

    public GT.Variable Variable()
    {
        var value = new GT.Variable { Type = String(), Value = String(), Hash = String() };
        for (var i = Count(5); i > 0; i--) value.Children.Add(VariableID());
        if (Chance(50)) value.Truncated = Chance(50);
        return value;
    }

    public GT.StackFrame StackFrame()
    {
        var value = new GT.StackFrame { FileName = String(), MethodName = String(), LineNumber = UInt32() };
        if (Chance(50)) value.ClassName = String();
        if (Chance(50)) value.IsAsync = Chance(50);
        if (Chance(50)) value.ColumnNumber = UInt32();
        if (Chance(50)) value.TranspiledFileName = String();
        if (Chance(50)) value.TranspiledLineNumber = UInt32();
        if (Chance(50)) value.TranspiledColumnNumber = UInt32();
        for (var i = Count(4); i > 0; i--) value.Variables.Add(VariableID());
        if (Chance(50)) value.AppFrame = Chance(50);
        if (Chance(50)) value.NativeFrame = Chance(50);
        if (Chance(50)) value.ShortPath = String();
        return value;
    }

    public GT.WatchResult WatchResult()
    {
        var value = new GT.WatchResult { Expression = String(), Source = (GT.WatchSource)_random.Next(4) };
        switch (_random.Next(3))
        {
            case 0: value.GoodResult = VariableID(); break;
            case 1: value.ErrorResult = String(); break;
        }
        if (Chance(30)) value.FromMetric = Chance(50);
        return value;
    }

    public GT.Snapshot Snapshot()
    {
        var value = new GT.Snapshot
        {
            ID = Chance(80) ? Bytes16() : Bytes(),
            Tracepoint = Chance(80) ? TracePointConfig() : null,
            TsNanos = UInt64(),
            DurationNanos = UInt64(),
        };
        for (var i = Count(8); i > 0; i--) value.VarLookup[String()] = Variable();
        for (var i = Count(3); i > 0; i--) value.Frames.Add(StackFrame());
        for (var i = Count(3); i > 0; i--) value.Watches.Add(WatchResult());
        for (var i = Count(3); i > 0; i--) value.Attributes.Add(KeyValue());
        for (var i = Count(3); i > 0; i--) value.Resource.Add(KeyValue());
        if (Chance(50)) value.LogMsg = String();
        return value;
    }

    private ByteString Bytes16()
    {
        var bytes = new byte[16];
        _random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }
}
