using System.Reflection;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;

namespace Deep.Agent.Capture;

/// <summary>
/// The probed frame's variables at a hit: <c>this</c>, the arguments and the locals in scope, then the variables the
/// compiler moved into a state machine or closure, under their source names. One value that cannot be captured
/// becomes a variable stating the error; it never fails the snapshot.
/// </summary>
internal static class FrameVariables
{
    /// <summary>Adds the variables of <paramref name="hit"/>'s frame to <paramref name="variables"/>.</summary>
    public static void Collect(VariableCollector collector, Hit hit, List<VariableID> variables)
    {
        var slots = hit.Layout.Slots;
        var values = new List<(ProbeSlot, object?)>(slots.Count);
        for (var i = 0; i < slots.Count; i++)
        {
            if (hit.Values.Has(i) && !IsOutcome(slots[i].Kind)) values.Add((slots[i], hit.Values.GetBoxed(i)));
        }
        Collect(collector, values, variables);
    }

    /// <summary>
    /// Adds a frame's variables, given as slots with their values (a hit's, or those Exception Replay took as an
    /// exception left the frame), to <paramref name="variables"/>.
    /// </summary>
    public static void Collect(VariableCollector collector, IReadOnlyList<(ProbeSlot Slot, object? Value)> values, List<VariableID> variables)
    {
        var shown = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (slot, value) in values)
        {
            if (slot.Fields is not null || !shown.Add(slot.Name)) continue;
            variables.Add(CaptureSafely(collector, slot.Name, value, slot.DeclaredType, slot.OriginalName));
        }
        // Then the variables the compiler moved into a state machine or closure: a lambda's own parameter or
        // local of the same name shadows a captured one, as in the C# (and as ProbeScope resolves names).
        foreach (var (slot, value) in values)
        {
            if (slot.Fields is { } fields) AddFields(collector, variables, shown, value, fields, 0);
        }
    }

    /// <summary>An exit probe's outcome slots (return value, exception, duration) are watches, not variables.</summary>
    private static bool IsOutcome(SlotKind kind) => kind is SlotKind.Return or SlotKind.Exception or SlotKind.Duration;

    // A state machine's or closure's fields, shown as the frame's variables under their source names. Field reads
    // run no user code; a chain of closures is bounded by the engine (SlotField nesting) and by this depth.
    private static void AddFields(VariableCollector collector, List<VariableID> variables, HashSet<string> shown, object? owner,
        IReadOnlyList<SlotField> fields, int depth)
    {
        if (owner is null || depth > 8) return;
        foreach (var field in fields)
        {
            if (field.Fields is null && shown.Contains(field.Name)) continue;
            object? value;
            var info = field.Field;
            try
            {
                // A generic state machine's layout names the open type's field: read the instantiation's.
                if (info.DeclaringType != owner.GetType())
                    info = owner.GetType().GetField(info.Name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic) ?? info;
                value = info.GetValue(owner);
            }
            catch (Exception e)
            {
                if (field.Fields is not null) continue;
                shown.Add(field.Name);
                variables.Add(Failed(collector, field.Name, info.FieldType, field.OriginalName, e));
                continue;
            }
            if (field.Fields is { } inner)
            {
                AddFields(collector, variables, shown, value, inner, depth + 1);
                continue;
            }
            shown.Add(field.Name);
            var declared = info.FieldType.ContainsGenericParameters ? value?.GetType() ?? typeof(object) : info.FieldType;
            variables.Add(CaptureSafely(collector, field.Name, value, declared, field.OriginalName));
        }
    }

    /// <summary>Captures one value; a value that cannot be walked becomes a variable stating the error.</summary>
    public static VariableID CaptureSafely(VariableCollector collector, string name, object? value, Type declared, string? originalName)
    {
        try
        {
            return collector.Capture(name, value, declared, null, originalName);
        }
        catch (Exception e)
        {
            return Failed(collector, name, declared, originalName, e);
        }
    }

    private static VariableID Failed(VariableCollector collector, string name, Type declared, string? originalName, Exception e)
    {
        var id = $"error-{collector.VarLookup.Count}-{name}";
        collector.VarLookup[id] = new Variable { Type = SafeTypeName(declared), Value = $"<capture failed: {e.Message}>", Hash = "0" };
        return new VariableID { ID = id, Name = name, OriginalName = originalName };
    }

    private static string SafeTypeName(Type type)
    {
        try
        {
            return CSharpTypeNames.Of(type);
        }
        catch
        {
            return type.Name;
        }
    }
}
