using System.Linq.Expressions;
using System.Reflection;
using Deep.Agent.Expressions;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.Probes;

/// <summary>
/// Resolves names in conditions and watches to typed reads of a probe's slots: <c>x</c> becomes
/// <c>hit.Get&lt;int&gt;(slot)</c>, so a compiled condition never boxes. A bare name that is not a slot but a field
/// (or auto-property backing field) of <c>this</c> resolves to that field, as it would in the C# of the method.
/// Variables of a generic state machine or closure are found on its open type and read by field name from the
/// instantiation when evaluated (<see cref="RuntimeFieldPath"/>).
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
            if (!string.Equals(slots[i].Name, name, StringComparison.Ordinal)) continue;
            if (slots[i].Kind != SlotKind.Return) return Read(context, i, slots[i].DeclaredType);
            // The exit of a method returning a task: `return` is what awaiting it gives (nothing for a Task).
            if (AwaitShape.Of(_layout) is not { } awaited) return Read(context, i, slots[i].DeclaredType);
            return awaited.ResultType is { } result ? Read(context, i, result) : null;
        }
        // Variables the compiler moved into a state machine or a closure, by their source names.
        for (var i = 0; i < slots.Count; i++)
        {
            if (slots[i].Fields is not { } fields) continue;
            var found = IsOpen(slots[i].DeclaredType)
                ? OpenFieldChain(Read(context, i, slots[i].DeclaredType), fields, name)
                : FieldChain(Read(context, i, slots[i].DeclaredType), fields, name, 0);
            if (found is not null) return found;
        }
        for (var i = 0; i < slots.Count; i++)
        {
            if (slots[i].Kind != SlotKind.This) continue;
            if (slots[i].Fields is { } open && IsOpen(slots[i].DeclaredType))
                return OpenThisField(Read(context, i, slots[i].DeclaredType), open, name);
            // Inside a state machine or closure, `this` of the source method is the field shown as `this`.
            var self = slots[i].Fields is { } hoisted
                ? FieldChain(Read(context, i, slots[i].DeclaredType), hoisted, "this", 0)
                : Read(context, i, slots[i].DeclaredType);
            if (self is null) return null;
            var field = FindField(self.Type, name);
            if (field is null) return null;
            if (!field.IsStatic) return Expression.Field(self, field);
            return MayReadStatic(field) ? Expression.Field(null, field) : null;
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

    // Reading a static field can run the type's static constructor; allowed only when it cannot (no type initializer,
    // or not beforefieldinit: then the runtime ran it before this instance existed), as capture does.
    private static bool MayReadStatic(FieldInfo field)
    {
        var declaring = field.DeclaringType!;
        return declaring.TypeInitializer == null || (declaring.Attributes & TypeAttributes.BeforeFieldInit) == 0;
    }

    private static bool IsOpen(Type declared) => (declared.IsByRef ? declared.GetElementType()! : declared).ContainsGenericParameters;

    // A generic state machine or closure (the slot's declared type is the open type, its value an instantiation):
    // the variable is found by name in the open type's fields, and read by the same field names from the runtime
    // type when evaluated.
    private static Expression? OpenFieldChain(Expression owner, IReadOnlyList<SlotField> fields, string name)
    {
        var path = new List<string>();
        var field = FindPath(fields, name, path, 0);
        return field is null ? null : RuntimeRead(owner, path, field.FieldType, name);
    }

    // A bare name of the original `this` inside a generic state machine or closure.
    private static Expression? OpenThisField(Expression owner, IReadOnlyList<SlotField> fields, string name)
    {
        var path = new List<string>();
        var self = FindPath(fields, "this", path, 0);
        if (self is null) return null;
        var selfType = self.FieldType;
        if (!selfType.ContainsGenericParameters)
        {
            // A generic method of a non-generic type: `this` keeps its type, its fields are typed reads.
            var typed = RuntimeRead(owner, path, selfType, "this");
            var known = FindField(selfType, name);
            if (known is null) return null;
            if (!known.IsStatic) return Expression.Field(typed, known);
            return MayReadStatic(known) ? Expression.Field(null, known) : null;
        }
        // `this` is an instantiation of a generic type (Box<T>): the field found on the open type, by its name on the
        // runtime type (it may be a subclass's instance; fields are looked up from the runtime type to its bases).
        var field = FindField(selfType, name);
        if (field is null || (field.IsStatic && !MayReadStatic(field))) return null;
        path.Add(field.Name);
        return RuntimeRead(owner, path, field.FieldType, name);
    }

    private static FieldInfo? FindPath(IReadOnlyList<SlotField> fields, string name, List<string> path, int depth)
    {
        if (depth > 8) return null;
        foreach (var field in fields)
        {
            if (field.Fields is null)
            {
                if (!string.Equals(field.Name, name, StringComparison.Ordinal)) continue;
                path.Add(field.Field.Name);
                return field.Field;
            }
            path.Add(field.Field.Name);
            var inner = FindPath(field.Fields, name, path, depth + 1);
            if (inner is not null) return inner;
            path.RemoveAt(path.Count - 1);
        }
        return null;
    }

    private static Expression RuntimeRead(Expression owner, List<string> path, Type fieldType, string text)
    {
        Expression read = Expression.Call(RuntimeFieldPath.ReadMethod,
            owner.Type == typeof(object) ? owner : Expression.Convert(owner, typeof(object)),
            Expression.Constant(path.ToArray()), Expression.Constant(text));
        // A field whose type does not depend on the type parameters (an int, a non-generic `this`) keeps its static
        // type, so the expression is typed as in the C#; one of type T (or List<T>) is the object it is for this call.
        return fieldType.ContainsGenericParameters || fieldType.IsPointer || fieldType.IsByRefLike || fieldType.IsFunctionPointer
            ? read
            : Expression.Convert(read, fieldType);
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
