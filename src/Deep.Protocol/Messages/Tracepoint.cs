namespace Deep.Protocol;

/// <summary><c>deepproto.proto.tracepoint.v1.TracePointConfig</c>: one tracepoint as the server sends it.</summary>
public sealed partial class TracePointConfig
{
    /// <summary>Field 1.</summary>
    public string ID { get; set; } = "";

    /// <summary>Field 2: the source file.</summary>
    public string Path { get; set; } = "";

    /// <summary>Field 3.</summary>
    public uint LineNumber { get; set; }

    /// <summary>Field 4: arguments (see tracepoints.md §2). Encoded in insertion order.</summary>
    public Dictionary<string, string> Args { get; } = new();

    /// <summary>Field 5: watch expressions.</summary>
    public List<string> Watches { get; } = new();

    /// <summary>Field 6: resource attributes the server filters by.</summary>
    public List<KeyValue> Targeting { get; } = new();

    /// <summary>Field 7.</summary>
    public List<Metric> Metrics { get; } = new();
}

/// <summary><c>deepproto.proto.tracepoint.v1.MetricType</c>.</summary>
public enum MetricType
{
    /// <summary>A counter: adds.</summary>
    Counter = 0,
    /// <summary>A gauge: sets.</summary>
    Gauge = 1,
    /// <summary>A histogram.</summary>
    Histogram = 2,
    /// <summary>A summary (recorded as a histogram).</summary>
    Summary = 3,
}

/// <summary><c>deepproto.proto.tracepoint.v1.Metric</c>.</summary>
public sealed partial class Metric
{
    /// <summary>Field 1.</summary>
    public string Name { get; set; } = "";

    /// <summary>Field 2 (<c>labelExpressions</c>).</summary>
    public List<LabelExpression> LabelExpressions { get; } = new();

    /// <summary>Field 3.</summary>
    public MetricType Type { get; set; }

    /// <summary>Field 4 (proto3 optional): the value expression; null when absent.</summary>
    public string? Expression { get; set; }

    /// <summary>Field 5 (proto3 optional).</summary>
    public string? Namespace { get; set; }

    /// <summary>Field 6 (proto3 optional).</summary>
    public string? Help { get; set; }

    /// <summary>Field 7 (proto3 optional).</summary>
    public string? Unit { get; set; }
}

/// <summary>Which member of <see cref="LabelExpression"/>'s <c>value</c> oneof is set.</summary>
public enum LabelExpressionValueCase
{
    /// <summary>Neither.</summary>
    None = 0,
    /// <summary><see cref="LabelExpression.Static"/> (field 2).</summary>
    Static = 2,
    /// <summary><see cref="LabelExpression.Expression"/> (field 3).</summary>
    Expression = 3,
}

/// <summary><c>deepproto.proto.tracepoint.v1.LabelExpression</c>: a metric label, static or computed.</summary>
public sealed partial class LabelExpression
{
    private object? _value;

    /// <summary>Field 1.</summary>
    public string Key { get; set; } = "";

    /// <summary>Which member of the oneof is set.</summary>
    public LabelExpressionValueCase ValueCase { get; private set; }

    /// <summary>Field 2: a static label value.</summary>
    public AnyValue? Static
    {
        get => ValueCase == LabelExpressionValueCase.Static ? (AnyValue)_value! : null;
        set => Set(LabelExpressionValueCase.Static, value);
    }

    /// <summary>Field 3: an expression computing the label value.</summary>
    public string? Expression
    {
        get => ValueCase == LabelExpressionValueCase.Expression ? (string)_value! : null;
        set => Set(LabelExpressionValueCase.Expression, value);
    }

    private void Set(LabelExpressionValueCase which, object? value)
    {
        if (value is null)
        {
            if (ValueCase == which)
            {
                _value = null;
                ValueCase = LabelExpressionValueCase.None;
            }
            return;
        }
        _value = value;
        ValueCase = which;
    }
}

/// <summary><c>deepproto.proto.tracepoint.v1.VariableID</c>: a reference to a captured value, with its name here.</summary>
public sealed partial class VariableID
{
    /// <summary>Field 1: key into <see cref="Snapshot.VarLookup"/>.</summary>
    public string ID { get; set; } = "";

    /// <summary>Field 2: the name at this reference.</summary>
    public string Name { get; set; } = "";

    /// <summary>Field 3: e.g. <c>private</c>, <c>static</c>.</summary>
    public List<string> Modifiers { get; } = new();

    /// <summary>Field 4 (proto3 optional): the compiler's name when it differs.</summary>
    public string? OriginalName { get; set; }
}

/// <summary><c>deepproto.proto.tracepoint.v1.Variable</c>: one captured value.</summary>
public sealed partial class Variable
{
    /// <summary>Field 1: the type as a C# programmer writes it.</summary>
    public string Type { get; set; } = "";

    /// <summary>Field 2: the value as text.</summary>
    public string Value { get; set; } = "";

    /// <summary>Field 3: object identity.</summary>
    public string Hash { get; set; } = "";

    /// <summary>Field 4.</summary>
    public List<VariableID> Children { get; } = new();

    /// <summary>Field 5 (proto3 optional).</summary>
    public bool? Truncated { get; set; }
}

/// <summary><c>deepproto.proto.tracepoint.v1.StackFrame</c>.</summary>
public sealed partial class StackFrame
{
    /// <summary>Field 1: full path.</summary>
    public string FileName { get; set; } = "";

    /// <summary>Field 2.</summary>
    public string MethodName { get; set; } = "";

    /// <summary>Field 3.</summary>
    public uint LineNumber { get; set; }

    /// <summary>Field 4 (optional).</summary>
    public string? ClassName { get; set; }

    /// <summary>Field 5 (optional).</summary>
    public bool? IsAsync { get; set; }

    /// <summary>Field 6 (optional).</summary>
    public uint? ColumnNumber { get; set; }

    /// <summary>Field 7 (optional).</summary>
    public string? TranspiledFileName { get; set; }

    /// <summary>Field 8 (optional).</summary>
    public uint? TranspiledLineNumber { get; set; }

    /// <summary>Field 9 (optional).</summary>
    public uint? TranspiledColumnNumber { get; set; }

    /// <summary>Field 10.</summary>
    public List<VariableID> Variables { get; } = new();

    /// <summary>Field 11 (optional).</summary>
    public bool? AppFrame { get; set; }

    /// <summary>Field 12 (optional).</summary>
    public bool? NativeFrame { get; set; }

    /// <summary>Field 13 (optional).</summary>
    public string? ShortPath { get; set; }
}

/// <summary><c>deepproto.proto.tracepoint.v1.WatchSource</c>.</summary>
public enum WatchSource
{
    /// <summary>A watch expression.</summary>
    Watch = 0,
    /// <summary>An expression of a log template.</summary>
    Log = 1,
    /// <summary>A metric expression.</summary>
    Metric = 2,
    /// <summary>A captured return value, exception or duration.</summary>
    Capture = 3,
}

/// <summary>Which member of <see cref="WatchResult"/>'s <c>result</c> oneof is set.</summary>
public enum WatchResultCase
{
    /// <summary>Neither.</summary>
    None = 0,
    /// <summary><see cref="WatchResult.GoodResult"/> (field 2).</summary>
    GoodResult = 2,
    /// <summary><see cref="WatchResult.ErrorResult"/> (field 3).</summary>
    ErrorResult = 3,
}

/// <summary><c>deepproto.proto.tracepoint.v1.WatchResult</c>.</summary>
public sealed partial class WatchResult
{
    private object? _result;

    /// <summary>Field 1.</summary>
    public string Expression { get; set; } = "";

    /// <summary>Which member of the oneof is set.</summary>
    public WatchResultCase ResultCase { get; private set; }

    /// <summary>Field 2: the value, as a reference into <see cref="Snapshot.VarLookup"/>.</summary>
    public VariableID? GoodResult
    {
        get => ResultCase == WatchResultCase.GoodResult ? (VariableID)_result! : null;
        set => Set(WatchResultCase.GoodResult, value);
    }

    /// <summary>Field 3: why the expression failed.</summary>
    public string? ErrorResult
    {
        get => ResultCase == WatchResultCase.ErrorResult ? (string)_result! : null;
        set => Set(WatchResultCase.ErrorResult, value);
    }

    /// <summary>Field 4 (optional, deprecated).</summary>
    public bool? FromMetric { get; set; }

    /// <summary>Field 5.</summary>
    public WatchSource Source { get; set; }

    private void Set(WatchResultCase which, object? value)
    {
        if (value is null)
        {
            if (ResultCase == which)
            {
                _result = null;
                ResultCase = WatchResultCase.None;
            }
            return;
        }
        _result = value;
        ResultCase = which;
    }
}

/// <summary><c>deepproto.proto.tracepoint.v1.Snapshot</c>: what one tracepoint hit collected.</summary>
public sealed partial class Snapshot
{
    /// <summary>Field 1: exactly 16 bytes.</summary>
    public byte[] ID { get; set; } = Array.Empty<byte>();

    /// <summary>Field 2: the config that produced it.</summary>
    public TracePointConfig? Tracepoint { get; set; }

    /// <summary>Field 3: every captured value once. Encoded in insertion order.</summary>
    public Dictionary<string, Variable> VarLookup { get; } = new();

    /// <summary>Field 4 (fixed64): when the tracepoint fired, epoch ns.</summary>
    public ulong TsNanos { get; set; }

    /// <summary>Field 5: innermost first.</summary>
    public List<StackFrame> Frames { get; } = new();

    /// <summary>Field 6.</summary>
    public List<WatchResult> Watches { get; } = new();

    /// <summary>Field 7.</summary>
    public List<KeyValue> Attributes { get; } = new();

    /// <summary>Field 8: time spent collecting.</summary>
    public ulong DurationNanos { get; set; }

    /// <summary>Field 9.</summary>
    public List<KeyValue> Resource { get; } = new();

    /// <summary>Field 10 (optional).</summary>
    public string? LogMsg { get; set; }
}

/// <summary><c>deepproto.proto.tracepoint.v1.SnapshotResponse</c> (empty).</summary>
public sealed partial class SnapshotResponse
{
}
