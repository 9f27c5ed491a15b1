namespace Deep.Protocol;

/// <summary>Which member of <see cref="AnyValue"/>'s <c>value</c> oneof is set.</summary>
public enum AnyValueCase
{
    /// <summary>No value is set.</summary>
    None = 0,
    /// <summary><see cref="AnyValue.StringValue"/> (field 1).</summary>
    StringValue = 1,
    /// <summary><see cref="AnyValue.BoolValue"/> (field 2).</summary>
    BoolValue = 2,
    /// <summary><see cref="AnyValue.IntValue"/> (field 3).</summary>
    IntValue = 3,
    /// <summary><see cref="AnyValue.DoubleValue"/> (field 4).</summary>
    DoubleValue = 4,
    /// <summary><see cref="AnyValue.ArrayValue"/> (field 5).</summary>
    ArrayValue = 5,
    /// <summary><see cref="AnyValue.KvlistValue"/> (field 6).</summary>
    KvlistValue = 6,
    /// <summary><see cref="AnyValue.BytesValue"/> (field 7).</summary>
    BytesValue = 7,
}

/// <summary><c>deepproto.proto.common.v1.AnyValue</c>: a value of one of several types (a oneof).</summary>
/// <remarks>Setting one member clears the others, as in protobuf.</remarks>
public sealed partial class AnyValue
{
    private object? _value;

    /// <summary>Which member is set.</summary>
    public AnyValueCase ValueCase { get; private set; }

    /// <summary>Field 1.</summary>
    public string? StringValue
    {
        get => ValueCase == AnyValueCase.StringValue ? (string)_value! : null;
        set => Set(AnyValueCase.StringValue, value);
    }

    /// <summary>Field 2.</summary>
    public bool? BoolValue
    {
        get => ValueCase == AnyValueCase.BoolValue ? (bool)_value! : null;
        set => Set(AnyValueCase.BoolValue, value);
    }

    /// <summary>Field 3.</summary>
    public long? IntValue
    {
        get => ValueCase == AnyValueCase.IntValue ? (long)_value! : null;
        set => Set(AnyValueCase.IntValue, value);
    }

    /// <summary>Field 4.</summary>
    public double? DoubleValue
    {
        get => ValueCase == AnyValueCase.DoubleValue ? (double)_value! : null;
        set => Set(AnyValueCase.DoubleValue, value);
    }

    /// <summary>Field 5.</summary>
    public ArrayValue? ArrayValue
    {
        get => ValueCase == AnyValueCase.ArrayValue ? (ArrayValue)_value! : null;
        set => Set(AnyValueCase.ArrayValue, value);
    }

    /// <summary>Field 6.</summary>
    public KeyValueList? KvlistValue
    {
        get => ValueCase == AnyValueCase.KvlistValue ? (KeyValueList)_value! : null;
        set => Set(AnyValueCase.KvlistValue, value);
    }

    /// <summary>Field 7.</summary>
    public byte[]? BytesValue
    {
        get => ValueCase == AnyValueCase.BytesValue ? (byte[])_value! : null;
        set => Set(AnyValueCase.BytesValue, value);
    }

    /// <summary>Unsets the oneof.</summary>
    public void ClearValue()
    {
        _value = null;
        ValueCase = AnyValueCase.None;
    }

    private void Set(AnyValueCase which, object? value)
    {
        if (value is null)
        {
            if (ValueCase == which) ClearValue();
            return;
        }
        _value = value;
        ValueCase = which;
    }

    /// <summary>A string value.</summary>
    public static AnyValue Of(string value) => new() { StringValue = value };
    /// <summary>A boolean value.</summary>
    public static AnyValue Of(bool value) => new() { BoolValue = value };
    /// <summary>An integer value.</summary>
    public static AnyValue Of(long value) => new() { IntValue = value };
    /// <summary>A floating-point value.</summary>
    public static AnyValue Of(double value) => new() { DoubleValue = value };
}

/// <summary><c>deepproto.proto.common.v1.ArrayValue</c>.</summary>
public sealed partial class ArrayValue
{
    /// <summary>Field 1.</summary>
    public List<AnyValue> Values { get; } = new();
}

/// <summary><c>deepproto.proto.common.v1.KeyValueList</c>.</summary>
public sealed partial class KeyValueList
{
    /// <summary>Field 1.</summary>
    public List<KeyValue> Values { get; } = new();
}

/// <summary><c>deepproto.proto.common.v1.KeyValue</c>.</summary>
public sealed partial class KeyValue
{
    /// <summary>Field 1.</summary>
    public string Key { get; set; } = "";

    /// <summary>Field 2; null when absent.</summary>
    public AnyValue? Value { get; set; }

    /// <summary>Creates an attribute.</summary>
    public KeyValue() { }

    /// <summary>Creates a string attribute.</summary>
    public KeyValue(string key, string value)
    {
        Key = key;
        Value = AnyValue.Of(value);
    }

    /// <summary>Creates an attribute.</summary>
    public KeyValue(string key, AnyValue? value)
    {
        Key = key;
        Value = value;
    }
}

/// <summary><c>deepproto.proto.resource.v1.Resource</c>: the identity of an agent.</summary>
public sealed partial class Resource
{
    /// <summary>Field 1.</summary>
    public List<KeyValue> Attributes { get; } = new();

    /// <summary>Field 2.</summary>
    public uint DroppedAttributesCount { get; set; }
}
