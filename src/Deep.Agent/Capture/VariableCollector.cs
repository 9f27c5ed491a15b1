using System.Diagnostics;
using System.Globalization;
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
/// variable count and the time budget (<see cref="CaptureLimits.MaxTimeMs"/>, measured from the collector's
/// creation).</para>
/// <para>Capture reads fields only, enumerates only allow-listed framework collections, and formats only framework
/// types; nothing of the application runs. A field that cannot be read becomes a variable stating the error.</para>
/// </remarks>
public sealed class VariableCollector
{
    private readonly CaptureLimits _limits;
    private readonly Redactor _redactor;
    private readonly Dictionary<object, string> _seen = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<Pending> _pending = new();
    private readonly List<(string Name, object? Value)> _items = new();
    private readonly long _deadline;
    private readonly long _setupTicksAtStart;

    // One-time per-type setup left out of the budget is itself bounded, so a graph of many new types still stops.
    private static readonly long MaxExcludedSetupTicks = Stopwatch.Frequency;
    private int _nextId;
    private Dictionary<string, string>? _limitPlaceholders;

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

    /// <summary>True once a limit (count or time) stopped the collection.</summary>
    public bool LimitReached { get; private set; }

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
        try
        {
            variable.Value = ValueText.Format(value, _limits.MaxStringLength, out var cut);
            if (cut) variable.Truncated = true;
        }
        catch (Exception e)
        {
            variable.Value = "[could not read: " + e.Message + "]";
        }
        var id = NewVariable(variable);
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
            _items.Clear();
            CollectionReader.ReadItems(parent.Value, _limits.MaxCollectionSize, _limits.MaxStringLength, _items);
            var itemType = CollectionReader.ItemTypeOf(parent.RuntimeType);
            foreach (var (itemName, itemValue) in _items)
            {
                var id = Add(itemName, itemValue, itemType, parent.Depth + 1);
                if (id == null)
                {
                    parent.Variable.Truncated = true;
                    return;
                }
                parent.Variable.Children.Add(new VariableID { ID = id, Name = itemName });
            }
            if (count > _items.Count)
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
            parent.Variable.Children.Add(reference);
        }
    }

    private bool OverLimit()
    {
        if (LimitReached)
        {
            return true;
        }
        var setup = Math.Min(ObjectLayout.SetupTicksOnThisThread - _setupTicksAtStart, MaxExcludedSetupTicks);
        if (VarLookup.Count >= _limits.MaxVariables || Stopwatch.GetTimestamp() - setup > _deadline)
        {
            LimitReached = true;
        }
        return LimitReached;
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
            Value = VarLookup.Count >= _limits.MaxVariables ? "[not captured: variable limit reached]" : "[not captured: time budget exceeded]",
            Truncated = true,
        });
        _limitPlaceholders[typeName] = id;
        return id;
    }

    private string NewVariable(Variable variable)
    {
        var id = (++_nextId).ToString(CultureInfo.InvariantCulture);
        VarLookup[id] = variable;
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
