using System.Diagnostics;
using System.Globalization;
using System.Text;
using Deep.Protocol;

namespace Deep.Agent.Capture;

/// <summary>
/// Walks captured values into a snapshot's <c>var_lookup</c>. One per snapshot: the limits (variable count, time
/// budget) and the identity table are shared by every <see cref="Capture"/> call on it.
/// </summary>
/// <remarks>
/// <para>Each call walks its value breadth-first, so the shallow levels of a graph are captured before any deep one.
/// The same object reached twice (by reference identity, never by a user <c>Equals</c>) is stored once and referenced
/// twice, so cycles terminate. Value types have no identity: each occurrence is its own variable with an empty
/// <c>hash</c>.</para>
/// <para>When a limit is reached nothing more is added and the variable whose children were cut is marked
/// <c>truncated</c>: depth (a variable at the last level that has children), collection size, string length,
/// variable count, the encoded size of the variables (<see cref="CaptureLimits.MaxVariableBytes"/>) and the time
/// budget (<see cref="CaptureLimits.MaxTimeMs"/>, measured from the collector's creation). Every loop of the walk
/// checks them, including the reading of one large collection.</para>
/// <para>Capture reads fields only, enumerates only allow-listed framework collections, and formats only framework
/// types; nothing of the application runs. A field that cannot be read becomes a variable stating the error.</para>
/// </remarks>
internal sealed class VariableCollector
{
    private readonly CaptureLimits _limits;
    private readonly Redactor _redactor;
    private readonly Dictionary<object, string> _seen = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<Pending> _pending = new();
    private readonly long _deadline;
    private readonly long _setupTicksAtStart;

    // One-time per-type setup left out of the budget is itself bounded, so a graph of many new types still stops.
    private static readonly long MaxExcludedSetupTicks = Stopwatch.Frequency;
    private int _nextId;
    private long _bytes;
    private string? _stopReason;
    private Dictionary<string, string>? _limitPlaceholders;

    // Encoded size estimates: a var_lookup entry's key, tags and lengths; a reference's tags, lengths and id.
    private const int VariableOverhead = 24;
    private const int ReferenceOverhead = 16;

    private readonly record struct Pending(Variable Variable, object Value, Type RuntimeType, int Depth);

    /// <summary>Creates a collector for one snapshot; the time budget starts now.</summary>
    public VariableCollector(CaptureLimits limits, Redactor redactor)
    {
        _limits = limits ?? CaptureLimits.Default;
        _redactor = redactor ?? Redactor.Default;
        _deadline = Stopwatch.GetTimestamp() + (long)(_limits.MaxTimeMs * (double)Stopwatch.Frequency / 1000);
        _setupTicksAtStart = ObjectLayout.SetupTicksOnThisThread;
    }

    /// <summary>The snapshot's <c>var_lookup</c>.</summary>
    public Dictionary<string, Variable> VarLookup { get; } = new();

    /// <summary>True once a limit (count, size or time) stopped the collection.</summary>
    public bool LimitReached { get; private set; }

    /// <summary>The estimated encoded size of <see cref="VarLookup"/> and the references made so far, in bytes.</summary>
    public long EstimatedBytes => _bytes;

    /// <summary>
    /// Captures a value and everything reachable from it within the limits; never throws. Returns the reference to
    /// put in a frame's variables (or a watch result).
    /// </summary>
    /// <param name="name">The name shown (a local's source name, <c>this</c>, a watch's expression).</param>
    /// <param name="value">The value, boxed.</param>
    /// <param name="declaredType">The declared type: named when the value is null, and keeps <c>int?</c> for a boxed nullable.</param>
    /// <param name="modifiers">Modifiers to put on the reference.</param>
    /// <param name="originalName">The compiler's name when it differs from <paramref name="name"/>.</param>
    public VariableID Capture(string name, object? value, Type declaredType, IReadOnlyList<string>? modifiers = null, string? originalName = null)
    {
        var reference = new VariableID { Name = name ?? "", OriginalName = originalName };
        try
        {
            if (modifiers != null) reference.Modifiers.AddRange(modifiers);
            reference.ID = Add(reference.Name, value, declaredType ?? typeof(object), depth: 1) ?? LimitPlaceholder(declaredType ?? typeof(object));
            CountReference(reference);
            Drain();
        }
        catch (Exception e)
        {
            // Never reached in practice; a safety net so one value can never fail a snapshot.
            reference.ID = NewVariable(new Variable { Type = SafeTypeName(declaredType), Value = "[could not capture: " + e.Message + "]" });
        }
        return reference;
    }

    private string? Add(string name, object? value, Type declaredType, int depth)
    {
        if (OverLimit())
        {
            return null;
        }
        if (_redactor.IsRedacted(name))
        {
            return NewVariable(new Variable { Type = CSharpTypeNames.Of(value?.GetType() ?? declaredType), Value = Redactor.RedactedText });
        }
        if (value == null)
        {
            return NewVariable(new Variable { Type = CSharpTypeNames.Of(declaredType), Value = "null" });
        }
        var runtimeType = value.GetType();
        var isReference = !runtimeType.IsValueType;
        if (isReference && _seen.TryGetValue(value, out var existing))
        {
            return existing;
        }
        var typeName = Nullable.GetUnderlyingType(declaredType) == runtimeType ? CSharpTypeNames.Of(declaredType) : CSharpTypeNames.Of(runtimeType);
        var variable = new Variable { Type = typeName, Hash = isReference ? ObjectLayout.IdentityOf(value) : "" };
        int? cutFromLength = null;
        try
        {
            // A long string takes at most what is left of the size budget (one byte per character at least).
            var room = RoomLeft(VariableOverhead + typeName.Length * 3 + variable.Hash.Length);
            variable.Value = ValueText.Format(value, (int)Math.Min(_limits.MaxStringLength, room), out var cut);
            if (cut)
            {
                variable.Truncated = true;
                if (Encoding.UTF8.GetByteCount(variable.Value) > room) variable.Value = variable.Value[..(int)(room / 3)];
                cutFromLength = value switch { string s => s.Length, StringBuilder sb => sb.Length, _ => null };
            }
        }
        catch (Exception e)
        {
            variable.Value = "[could not read: " + e.Message + "]";
        }
        var id = NewVariable(variable);
        if (cutFromLength is { } length)
        {
            // What the cut text came from: the string's Length, as a child.
            var lengthRef = new VariableID
            {
                Name = "Length",
                ID = NewVariable(new Variable { Type = "int", Value = length.ToString(CultureInfo.InvariantCulture) }),
            };
            lengthRef.Modifiers.Add("public");
            CountReference(lengthRef);
            variable.Children.Add(lengthRef);
        }
        if (isReference)
        {
            _seen[value] = id;
        }
        bool mayHaveChildren;
        try
        {
            mayHaveChildren = ObjectLayout.MayHaveChildren(value, runtimeType);
        }
        catch (Exception e)
        {
            variable.Value += " [could not read: " + e.Message + "]";
            mayHaveChildren = false;
        }
        if (mayHaveChildren)
        {
            if (depth >= _limits.MaxDepth)
            {
                variable.Truncated = true;
            }
            else
            {
                _pending.Enqueue(new Pending(variable, value, runtimeType, depth));
            }
        }
        return id;
    }

    private void Drain()
    {
        while (_pending.Count > 0)
        {
            var next = _pending.Dequeue();
            if (OverLimit())
            {
                next.Variable.Truncated = true;
                continue;
            }
            try
            {
                AddChildren(next);
            }
            catch (Exception e)
            {
                next.Variable.Children.Add(new VariableID
                {
                    Name = "[error]",
                    ID = NewVariable(new Variable { Type = "string", Value = "[could not read children: " + e.Message + "]" }),
                });
                next.Variable.Truncated = true;
            }
        }
    }

    private void AddChildren(Pending parent)
    {
        var kind = CollectionReader.KindOf(parent.RuntimeType);
        if (kind != CollectionKind.None)
        {
            var count = CollectionReader.CountOf(parent.Value);
            var itemType = CollectionReader.ItemTypeOf(parent.RuntimeType);
            var stopped = false;
            // Items are read one at a time and captured as they are read: the variable count, the size and the time
            // budget end the reading of a million-item collection as soon as they are reached. Keys (the items'
            // names) may take half of what is left of the size budget: the rest is for their values.
            var read = CollectionReader.ReadItems(parent.Value, _limits.MaxCollectionSize, _limits.MaxStringLength, (itemName, itemValue) =>
            {
                var id = Add(itemName, itemValue, itemType, parent.Depth + 1);
                if (id == null)
                {
                    stopped = true;
                    return false;
                }
                var item = new VariableID { ID = id, Name = itemName };
                CountReference(item);
                parent.Variable.Children.Add(item);
                return true;
            }, keyCharBudget: RoomLeft(ReferenceOverhead) / 2);
            if (stopped || count > read)
            {
                parent.Variable.Truncated = true;
            }
            return;
        }

        var layout = ObjectLayout.Of(parent.RuntimeType);
        if (layout.Fields.Count == 0)
        {
            return;
        }
        object?[] values;
        try
        {
            values = layout.ReadAll(parent.Value);
        }
        catch (Exception e)
        {
            parent.Variable.Children.Add(new VariableID
            {
                Name = "[error]",
                ID = NewVariable(new Variable { Type = "string", Value = "[could not read fields: " + e.GetType().Name + ": " + e.Message + "]" }),
            });
            parent.Variable.Truncated = true;
            return;
        }
        for (var i = 0; i < layout.Fields.Count; i++)
        {
            var field = layout.Fields[i];
            var id = Add(field.Name, values[i], field.Field.FieldType, parent.Depth + 1);
            if (id == null)
            {
                parent.Variable.Truncated = true;
                return;
            }
            var reference = new VariableID { ID = id, Name = field.Name, OriginalName = field.OriginalName };
            reference.Modifiers.AddRange(field.Modifiers);
            CountReference(reference);
            parent.Variable.Children.Add(reference);
        }
    }

    private bool OverLimit()
    {
        if (LimitReached)
        {
            return true;
        }
        _stopReason = VarLookup.Count >= _limits.MaxVariables ? "variable limit reached"
            : _bytes >= _limits.MaxVariableBytes ? "snapshot size limit reached"
            : TimeUp() ? "time budget exceeded"
            : null;
        LimitReached = _stopReason is not null;
        return LimitReached;
    }

    private bool TimeUp()
    {
        var setup = Math.Min(ObjectLayout.SetupTicksOnThisThread - _setupTicksAtStart, MaxExcludedSetupTicks);
        return Stopwatch.GetTimestamp() - setup > _deadline;
    }

    /// <summary>Bytes of the size budget left after something of <paramref name="overhead"/> bytes; at least 0.</summary>
    private long RoomLeft(int overhead) => Math.Max(0, _limits.MaxVariableBytes - _bytes - overhead);

    private void CountReference(VariableID reference)
    {
        _bytes += ReferenceOverhead + reference.ID.Length + Encoding.UTF8.GetByteCount(reference.Name)
                  + (reference.OriginalName is { } original ? Encoding.UTF8.GetByteCount(original) : 0);
        foreach (var modifier in reference.Modifiers) _bytes += 2 + modifier.Length;
    }

    private string LimitPlaceholder(Type declaredType)
    {
        // One variable per declared type stands for every value of that type that came after the limit: a few
        // entries, not one each, and each reference still shows its own type.
        var typeName = SafeTypeName(declaredType);
        _limitPlaceholders ??= new Dictionary<string, string>(StringComparer.Ordinal);
        if (_limitPlaceholders.TryGetValue(typeName, out var id)) return id;
        id = NewVariable(new Variable
        {
            Type = typeName,
            Value = "[not captured: " + (_stopReason ?? "variable limit reached") + "]",
            Truncated = true,
        });
        _limitPlaceholders[typeName] = id;
        return id;
    }

    private string NewVariable(Variable variable)
    {
        var id = (++_nextId).ToString(CultureInfo.InvariantCulture);
        VarLookup[id] = variable;
        _bytes += VariableOverhead + id.Length + Encoding.UTF8.GetByteCount(variable.Type) + Encoding.UTF8.GetByteCount(variable.Value)
                  + variable.Hash.Length;
        return id;
    }

    private static string SafeTypeName(Type? type)
    {
        try
        {
            return type == null ? "object" : CSharpTypeNames.Of(type);
        }
        catch (Exception)
        {
            return type?.Name ?? "object";
        }
    }
}
