using System.Linq.Expressions;
using System.Reflection;
using Deep.Agent.Expressions;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.Probes;

/// <summary>
/// Resolves names in conditions and watches to typed reads of a probe's slots: <c>x</c> becomes
/// <c>hit.Get&lt;int&gt;(slot)</c>, so a compiled condition never boxes. A bare name that is not a slot but a field
/// (or auto-property backing field) of <c>this</c> resolves to that field, as it would in the C# of the method.
/// </summary>
internal sealed class ProbeScope : IExpressionScope
{
    private static readonly MethodInfo s_get = typeof(HitState).GetMethod(nameof(HitState.Get))!;
    private static readonly MethodInfo s_getBoxed = typeof(HitState).GetMethod(nameof(HitState.GetBoxed))!;
    private readonly ProbeFrameLayout _layout;

    public ProbeScope(ProbeFrameLayout layout) => _layout = layout;

    public Expression? Resolve(string name, ParameterExpression context)
    {
        var slots = _layout.Slots;
        for (var i = 0; i < slots.Count; i++)
        {
            if (string.Equals(slots[i].Name, name, StringComparison.Ordinal)) return Read(context, i, slots[i].DeclaredType);
        }
        // Variables the compiler moved into a state machine or a closure, by their source names.
        for (var i = 0; i < slots.Count; i++)
        {
            if (slots[i].Fields is not { } fields) continue;
            var found = FieldChain(Read(context, i, slots[i].DeclaredType), fields, name, 0);
            if (found is not null) return found;
        }
        for (var i = 0; i < slots.Count; i++)
        {
            if (slots[i].Kind != SlotKind.This) continue;
            // Inside a state machine or closure, `this` of the source method is the field shown as `this`.
            var self = slots[i].Fields is { } hoisted
                ? FieldChain(Read(context, i, slots[i].DeclaredType), hoisted, "this", 0)
                : Read(context, i, slots[i].DeclaredType);
            if (self is null) return null;
            var field = FindField(self.Type, name);
            if (field is null) return null;
            if (!field.IsStatic) return Expression.Field(self, field);
            // Reading a static field can run the type's static constructor; allowed only when it cannot (no type
            // initializer, or not beforefieldinit: then the runtime ran it before this instance existed), as capture does.
            var declaring = field.DeclaringType!;
            return declaring.TypeInitializer == null || (declaring.Attributes & TypeAttributes.BeforeFieldInit) == 0
                ? Expression.Field(null, field)
                : null;
        }
        return null;
    }

    private static Expression? FieldChain(Expression owner, IReadOnlyList<SlotField> fields, string name, int depth)
    {
        if (depth > 8 || owner.Type.ContainsGenericParameters) return null;
        foreach (var field in fields)
        {
            if (field.Field.DeclaringType != owner.Type) continue;
            if (field.Fields is null)
            {
                if (string.Equals(field.Name, name, StringComparison.Ordinal)) return Expression.Field(owner, field.Field);
                continue;
            }
            // A closure reached through a field may be null (not created yet on this path): leave it to the evaluator.
            var inner = FieldChain(Expression.Field(owner, field.Field), field.Fields, name, depth + 1);
            if (inner is not null) return inner;
        }
        return null;
    }

    private static Expression Read(ParameterExpression context, int slot, Type declared)
    {
        if (declared.IsByRef) declared = declared.GetElementType()!;
        if (declared.ContainsGenericParameters || declared.IsByRefLike || declared.IsPointer)
            return Expression.Call(context, s_getBoxed, Expression.Constant(slot));
        return Expression.Call(context, s_get.MakeGenericMethod(declared), Expression.Constant(slot));
    }

    private static FieldInfo? FindField(Type type, string name)
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            var field = t.GetField(name, flags) ?? t.GetField($"<{name}>k__BackingField", flags);
            if (field is not null) return field;
        }
        return null;
    }
}
