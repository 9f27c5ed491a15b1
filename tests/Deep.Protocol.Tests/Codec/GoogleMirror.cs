using Google.Protobuf;
using Ours = Deep.Protocol;
using GC = Deepproto.Proto.Common.V1;
using GP = Deepproto.Proto.Poll.V1;
using GR = Deepproto.Proto.Resource.V1;
using GT = Deepproto.Proto.Tracepoint.V1;

namespace Deep.Protocol.Tests.Codec;

/// <summary>
/// Field-by-field conversion between Google.Protobuf's generated classes and ours, written by name (not through
/// either codec), so a field our codec put under the wrong number shows up as a difference.
/// </summary>
internal static class GoogleMirror
{
    public static Ours.AnyValue ToOurs(GC.AnyValue g)
    {
        var o = new Ours.AnyValue();
        switch (g.ValueCase)
        {
            case GC.AnyValue.ValueOneofCase.StringValue: o.StringValue = g.StringValue; break;
            case GC.AnyValue.ValueOneofCase.BoolValue: o.BoolValue = g.BoolValue; break;
            case GC.AnyValue.ValueOneofCase.IntValue: o.IntValue = g.IntValue; break;
            case GC.AnyValue.ValueOneofCase.DoubleValue: o.DoubleValue = g.DoubleValue; break;
            case GC.AnyValue.ValueOneofCase.ArrayValue: o.ArrayValue = ToOurs(g.ArrayValue); break;
            case GC.AnyValue.ValueOneofCase.KvlistValue: o.KvlistValue = ToOurs(g.KvlistValue); break;
            case GC.AnyValue.ValueOneofCase.BytesValue: o.BytesValue = g.BytesValue.ToByteArray(); break;
        }
        return o;
    }

    public static GC.AnyValue ToGoogle(Ours.AnyValue o)
    {
        var g = new GC.AnyValue();
        switch (o.ValueCase)
        {
            case Ours.AnyValueCase.StringValue: g.StringValue = o.StringValue; break;
            case Ours.AnyValueCase.BoolValue: g.BoolValue = o.BoolValue!.Value; break;
            case Ours.AnyValueCase.IntValue: g.IntValue = o.IntValue!.Value; break;
            case Ours.AnyValueCase.DoubleValue: g.DoubleValue = o.DoubleValue!.Value; break;
            case Ours.AnyValueCase.ArrayValue: g.ArrayValue = ToGoogle(o.ArrayValue!); break;
            case Ours.AnyValueCase.KvlistValue: g.KvlistValue = ToGoogle(o.KvlistValue!); break;
            case Ours.AnyValueCase.BytesValue: g.BytesValue = ByteString.CopyFrom(o.BytesValue!); break;
        }
        return g;
    }

    public static Ours.ArrayValue ToOurs(GC.ArrayValue g)
    {
        var o = new Ours.ArrayValue();
        foreach (var v in g.Values) o.Values.Add(ToOurs(v));
        return o;
    }

    public static GC.ArrayValue ToGoogle(Ours.ArrayValue o)
    {
        var g = new GC.ArrayValue();
        foreach (var v in o.Values) g.Values.Add(ToGoogle(v));
        return g;
    }

    public static Ours.KeyValueList ToOurs(GC.KeyValueList g)
    {
        var o = new Ours.KeyValueList();
        foreach (var v in g.Values) o.Values.Add(ToOurs(v));
        return o;
    }

    public static GC.KeyValueList ToGoogle(Ours.KeyValueList o)
    {
        var g = new GC.KeyValueList();
        foreach (var v in o.Values) g.Values.Add(ToGoogle(v));
        return g;
    }

    public static Ours.KeyValue ToOurs(GC.KeyValue g)
        => new() { Key = g.Key, Value = g.Value is null ? null : ToOurs(g.Value) };

    public static GC.KeyValue ToGoogle(Ours.KeyValue o)
        => new() { Key = o.Key, Value = o.Value is null ? null : ToGoogle(o.Value) };

    public static Ours.Resource ToOurs(GR.Resource g)
    {
        var o = new Ours.Resource { DroppedAttributesCount = g.DroppedAttributesCount };
        foreach (var a in g.Attributes) o.Attributes.Add(ToOurs(a));
        return o;
    }

    public static GR.Resource ToGoogle(Ours.Resource o)
    {
        var g = new GR.Resource { DroppedAttributesCount = o.DroppedAttributesCount };
        foreach (var a in o.Attributes) g.Attributes.Add(ToGoogle(a));
        return g;
    }

    public static Ours.PollRequest ToOurs(GP.PollRequest g)
        => new() { TsNanos = g.TsNanos, CurrentHash = g.CurrentHash, Resource = g.Resource is null ? null : ToOurs(g.Resource) };

    public static GP.PollRequest ToGoogle(Ours.PollRequest o)
        => new() { TsNanos = o.TsNanos, CurrentHash = o.CurrentHash, Resource = o.Resource is null ? null : ToGoogle(o.Resource) };

    public static Ours.PollResponse ToOurs(GP.PollResponse g)
    {
        var o = new Ours.PollResponse { TsNanos = g.TsNanos, CurrentHash = g.CurrentHash, ResponseType = (Ours.ResponseType)(int)g.ResponseType };
        foreach (var t in g.Response) o.Response.Add(ToOurs(t));
        return o;
    }

    public static GP.PollResponse ToGoogle(Ours.PollResponse o)
    {
        var g = new GP.PollResponse { TsNanos = o.TsNanos, CurrentHash = o.CurrentHash, ResponseType = (GP.ResponseType)(int)o.ResponseType };
        foreach (var t in o.Response) g.Response.Add(ToGoogle(t));
        return g;
    }

    public static Ours.TracePointConfig ToOurs(GT.TracePointConfig g)
    {
        var o = new Ours.TracePointConfig { ID = g.ID, Path = g.Path, LineNumber = g.LineNumber };
        foreach (var (k, v) in g.Args) o.Args[k] = v;
        o.Watches.AddRange(g.Watches);
        foreach (var t in g.Targeting) o.Targeting.Add(ToOurs(t));
        foreach (var m in g.Metrics) o.Metrics.Add(ToOurs(m));
        return o;
    }

    public static GT.TracePointConfig ToGoogle(Ours.TracePointConfig o)
    {
        var g = new GT.TracePointConfig { ID = o.ID, Path = o.Path, LineNumber = o.LineNumber };
        foreach (var (k, v) in o.Args) g.Args[k] = v;
        g.Watches.AddRange(o.Watches);
        foreach (var t in o.Targeting) g.Targeting.Add(ToGoogle(t));
        foreach (var m in o.Metrics) g.Metrics.Add(ToGoogle(m));
        return g;
    }

    public static Ours.Metric ToOurs(GT.Metric g)
    {
        var o = new Ours.Metric
        {
            Name = g.Name,
            Type = (Ours.MetricType)(int)g.Type,
            Expression = g.HasExpression ? g.Expression : null,
            Namespace = g.HasNamespace ? g.Namespace : null,
            Help = g.HasHelp ? g.Help : null,
            Unit = g.HasUnit ? g.Unit : null,
        };
        foreach (var l in g.LabelExpressions) o.LabelExpressions.Add(ToOurs(l));
        return o;
    }

    public static GT.Metric ToGoogle(Ours.Metric o)
    {
        var g = new GT.Metric { Name = o.Name, Type = (GT.MetricType)(int)o.Type };
        if (o.Expression is not null) g.Expression = o.Expression;
        if (o.Namespace is not null) g.Namespace = o.Namespace;
        if (o.Help is not null) g.Help = o.Help;
        if (o.Unit is not null) g.Unit = o.Unit;
        foreach (var l in o.LabelExpressions) g.LabelExpressions.Add(ToGoogle(l));
        return g;
    }

    public static Ours.LabelExpression ToOurs(GT.LabelExpression g)
    {
        var o = new Ours.LabelExpression { Key = g.Key };
        if (g.ValueCase == GT.LabelExpression.ValueOneofCase.Static) o.Static = ToOurs(g.Static);
        if (g.ValueCase == GT.LabelExpression.ValueOneofCase.Expression) o.Expression = g.Expression;
        return o;
    }

    public static GT.LabelExpression ToGoogle(Ours.LabelExpression o)
    {
        var g = new GT.LabelExpression { Key = o.Key };
        if (o.ValueCase == Ours.LabelExpressionValueCase.Static) g.Static = ToGoogle(o.Static!);
        if (o.ValueCase == Ours.LabelExpressionValueCase.Expression) g.Expression = o.Expression;
        return g;
    }

    public static Ours.VariableID ToOurs(GT.VariableID g)
    {
        var o = new Ours.VariableID { ID = g.ID, Name = g.Name, OriginalName = g.HasOriginalName ? g.OriginalName : null };
        o.Modifiers.AddRange(g.Modifiers);
        return o;
    }

    public static GT.VariableID ToGoogle(Ours.VariableID o)
    {
        var g = new GT.VariableID { ID = o.ID, Name = o.Name };
        if (o.OriginalName is not null) g.OriginalName = o.OriginalName;
        g.Modifiers.AddRange(o.Modifiers);
        return g;
    }

    public static Ours.Variable ToOurs(GT.Variable g)
    {
        var o = new Ours.Variable { Type = g.Type, Value = g.Value, Hash = g.Hash, Truncated = g.HasTruncated ? g.Truncated : null };
        foreach (var c in g.Children) o.Children.Add(ToOurs(c));
        return o;
    }

    public static GT.Variable ToGoogle(Ours.Variable o)
    {
        var g = new GT.Variable { Type = o.Type, Value = o.Value, Hash = o.Hash };
        if (o.Truncated is { } t) g.Truncated = t;
        foreach (var c in o.Children) g.Children.Add(ToGoogle(c));
        return g;
    }

    public static Ours.StackFrame ToOurs(GT.StackFrame g)
    {
        var o = new Ours.StackFrame
        {
            FileName = g.FileName,
            MethodName = g.MethodName,
            LineNumber = g.LineNumber,
            ClassName = g.HasClassName ? g.ClassName : null,
            IsAsync = g.HasIsAsync ? g.IsAsync : null,
            ColumnNumber = g.HasColumnNumber ? g.ColumnNumber : null,
            TranspiledFileName = g.HasTranspiledFileName ? g.TranspiledFileName : null,
            TranspiledLineNumber = g.HasTranspiledLineNumber ? g.TranspiledLineNumber : null,
            TranspiledColumnNumber = g.HasTranspiledColumnNumber ? g.TranspiledColumnNumber : null,
            AppFrame = g.HasAppFrame ? g.AppFrame : null,
            NativeFrame = g.HasNativeFrame ? g.NativeFrame : null,
            ShortPath = g.HasShortPath ? g.ShortPath : null,
        };
        foreach (var v in g.Variables) o.Variables.Add(ToOurs(v));
        return o;
    }

    public static GT.StackFrame ToGoogle(Ours.StackFrame o)
    {
        var g = new GT.StackFrame { FileName = o.FileName, MethodName = o.MethodName, LineNumber = o.LineNumber };
        if (o.ClassName is not null) g.ClassName = o.ClassName;
        if (o.IsAsync is { } isAsync) g.IsAsync = isAsync;
        if (o.ColumnNumber is { } column) g.ColumnNumber = column;
        if (o.TranspiledFileName is not null) g.TranspiledFileName = o.TranspiledFileName;
        if (o.TranspiledLineNumber is { } tl) g.TranspiledLineNumber = tl;
        if (o.TranspiledColumnNumber is { } tc) g.TranspiledColumnNumber = tc;
        if (o.AppFrame is { } app) g.AppFrame = app;
        if (o.NativeFrame is { } native) g.NativeFrame = native;
        if (o.ShortPath is not null) g.ShortPath = o.ShortPath;
        foreach (var v in o.Variables) g.Variables.Add(ToGoogle(v));
        return g;
    }

    public static Ours.WatchResult ToOurs(GT.WatchResult g)
    {
        var o = new Ours.WatchResult { Expression = g.Expression, FromMetric = g.HasFromMetric ? g.FromMetric : null, Source = (Ours.WatchSource)(int)g.Source };
        if (g.ResultCase == GT.WatchResult.ResultOneofCase.GoodResult) o.GoodResult = ToOurs(g.GoodResult);
        if (g.ResultCase == GT.WatchResult.ResultOneofCase.ErrorResult) o.ErrorResult = g.ErrorResult;
        return o;
    }

    public static GT.WatchResult ToGoogle(Ours.WatchResult o)
    {
        var g = new GT.WatchResult { Expression = o.Expression, Source = (GT.WatchSource)(int)o.Source };
        if (o.FromMetric is { } fm) g.FromMetric = fm;
        if (o.ResultCase == Ours.WatchResultCase.GoodResult) g.GoodResult = ToGoogle(o.GoodResult!);
        if (o.ResultCase == Ours.WatchResultCase.ErrorResult) g.ErrorResult = o.ErrorResult;
        return g;
    }

    public static Ours.Snapshot ToOurs(GT.Snapshot g)
    {
        var o = new Ours.Snapshot
        {
            ID = g.ID.ToByteArray(),
            Tracepoint = g.Tracepoint is null ? null : ToOurs(g.Tracepoint),
            TsNanos = g.TsNanos,
            DurationNanos = g.DurationNanos,
            LogMsg = g.HasLogMsg ? g.LogMsg : null,
        };
        foreach (var (k, v) in g.VarLookup) o.VarLookup[k] = ToOurs(v);
        foreach (var f in g.Frames) o.Frames.Add(ToOurs(f));
        foreach (var w in g.Watches) o.Watches.Add(ToOurs(w));
        foreach (var a in g.Attributes) o.Attributes.Add(ToOurs(a));
        foreach (var r in g.Resource) o.Resource.Add(ToOurs(r));
        return o;
    }

    public static GT.Snapshot ToGoogle(Ours.Snapshot o)
    {
        var g = new GT.Snapshot
        {
            ID = ByteString.CopyFrom(o.ID),
            Tracepoint = o.Tracepoint is null ? null : ToGoogle(o.Tracepoint),
            TsNanos = o.TsNanos,
            DurationNanos = o.DurationNanos,
        };
        if (o.LogMsg is not null) g.LogMsg = o.LogMsg;
        foreach (var (k, v) in o.VarLookup) g.VarLookup[k] = ToGoogle(v);
        foreach (var f in o.Frames) g.Frames.Add(ToGoogle(f));
        foreach (var w in o.Watches) g.Watches.Add(ToGoogle(w));
        foreach (var a in o.Attributes) g.Attributes.Add(ToGoogle(a));
        foreach (var r in o.Resource) g.Resource.Add(ToGoogle(r));
        return g;
    }

    public static Ours.SnapshotResponse ToOurs(GT.SnapshotResponse g) => new();

    public static GT.SnapshotResponse ToGoogle(Ours.SnapshotResponse o) => new();
}
