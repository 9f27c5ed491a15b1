using System.Reflection;
using System.Reflection.Metadata;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.Symbols;

/// <summary>One value a probe captures: what it is (<see cref="Slot"/>) and where the IL finds it.</summary>
/// <param name="Slot">Name, declared type and kind, as the probe runtime sees it.</param>
/// <param name="Index">The IL argument number (<c>this</c> is 0 in instance methods) or the local variable slot.</param>
internal sealed record FrameValue(ProbeSlot Slot, int Index);

/// <summary>The plan of a probe at one IL offset: the values it captures (and where the IL finds them), and those it cannot.</summary>
/// <param name="Values">In slot order: <c>this</c>, the arguments, then the locals in scope.</param>
/// <param name="NotCaptured">Values in scope left out, each with why.</param>
internal sealed record CapturePlan(IReadOnlyList<FrameValue> Values, IReadOnlyList<string> NotCaptured);

/// <summary>
/// Decides what a probe at an IL offset captures: <c>this</c>, the parameters (by name, from reflection), and the
/// locals in scope there (names and slots from the PDB's LocalScope/LocalVariable tables, types from the method body).
/// </summary>
internal static class FrameLayoutBuilder
{
    /// <summary>The values in scope at <paramref name="ilOffset"/> of the method <paramref name="line"/> resolved to.</summary>
    public static CapturePlan Build(ResolvedLine line, int ilOffset) =>
        Build(line.Method, line.Symbols.Reader, line.MethodHandle, ilOffset);

    /// <summary>The values in scope at <paramref name="ilOffset"/> of <paramref name="method"/>.</summary>
    public static CapturePlan Build(MethodBase method, MetadataReader? pdb, MethodDefinitionHandle handle, int ilOffset) =>
        Build(method, pdb, handle, ilOffset, allScopes: false);

    /// <summary>
    /// <c>this</c>, the arguments and every local the PDB names in any scope of <paramref name="method"/>, each IL slot
    /// once (Exception Replay's exit probes: which of them a frame shows depends on where the exception passed, see
    /// <see cref="InScope"/>). A slot two scopes share is listed under its first name.
    /// </summary>
    public static CapturePlan BuildAllScopes(MethodBase method, MetadataReader? pdb, MethodDefinitionHandle handle) =>
        Build(method, pdb, handle, 0, allScopes: true);

    /// <summary>
    /// Which values of <see cref="BuildAllScopes"/> (by their position there) are in scope at <paramref name="ilOffset"/>,
    /// each with the slot it is shown as there: a local slot two scopes share takes the name of the one holding the offset.
    /// </summary>
    public static IReadOnlyList<(int Position, ProbeSlot Shown)> InScope(MethodBase method, MetadataReader? pdb, MethodDefinitionHandle handle, int ilOffset)
    {
        var all = BuildAllScopes(method, pdb, handle).Values;
        var result = new List<(int, ProbeSlot)>();
        foreach (var value in Build(method, pdb, handle, ilOffset).Values)
        {
            for (var i = 0; i < all.Count; i++)
            {
                if (all[i].Slot.Kind != value.Slot.Kind || all[i].Index != value.Index) continue;
                result.Add((i, value.Slot));
                break;
            }
        }
        return result;
    }

    private static CapturePlan Build(MethodBase method, MetadataReader? pdb, MethodDefinitionHandle handle, int ilOffset, bool allScopes)
    {
        var values = new List<FrameValue>();
        var notCaptured = new List<string>();

        int argumentBase = 0;
        if (!method.IsStatic)
        {
            argumentBase = 1;
            var self = method.DeclaringType;
            if (self is not null && CompilerStorage.IsStateMachine(self))
            {
                // MoveNext of an async method or iterator: show the original method's variables, not the machine.
                // All scopes: every hoisted field (no PDB: no scope filter).
                AddStorage(values, self, SlotKind.This, 0, CompilerStorage.StateMachineFields(self, allScopes ? null : pdb, handle, ilOffset));
            }
            else if (self is not null && CompilerStorage.IsDisplayClass(self))
            {
                // A lambda or local function on its closure class: `this` holds the captured variables.
                AddStorage(values, self, SlotKind.This, 0, CompilerStorage.ClosureFields(self));
            }
            else if (self is not null && !CompilerStorage.IsLambdaCache(self))
            {
                Add(values, notCaptured, "this", self, SlotKind.This, 0, null);
            }
        }
        foreach (var parameter in method.GetParameters())
        {
            var type = parameter.ParameterType;
            if (type.IsByRef)
            {
                // ref/out/in: the profiler dereferences (ldobj) and hands over the element.
                type = type.GetElementType()!;
            }
            if (CompilerStorage.IsDisplayClass(type))
            {
                // A local function's struct closure, passed by ref: its fields are the captured variables.
                AddStorage(values, type, SlotKind.Argument, argumentBase + parameter.Position, CompilerStorage.ClosureFields(type));
                continue;
            }
            Add(values, notCaptured, parameter.Name ?? $"arg{parameter.Position}", type, SlotKind.Argument,
                argumentBase + parameter.Position, null);
        }

        if (pdb is not null)
        {
            var localTypes = method.GetMethodBody()?.LocalVariables;
            var seen = new HashSet<int>();
            foreach (var scopeHandle in pdb.GetLocalScopes(handle))
            {
                var scope = pdb.GetLocalScope(scopeHandle);
                if (!allScopes && (ilOffset < scope.StartOffset || ilOffset >= scope.EndOffset))
                {
                    continue;
                }
                foreach (var variableHandle in scope.GetLocalVariables())
                {
                    var variable = pdb.GetLocalVariable(variableHandle);
                    if ((variable.Attributes & LocalVariableAttributes.DebuggerHidden) != 0)
                    {
                        continue;
                    }
                    string name = pdb.GetString(variable.Name);
                    if (name.StartsWith("CS$<>8__locals", StringComparison.Ordinal) && localTypes is not null
                        && variable.Index < localTypes.Count && CompilerStorage.IsDisplayClass(localTypes[variable.Index].LocalType)
                        && seen.Add(variable.Index))
                    {
                        // The closure of the method's own lambdas: the variables they capture live in it.
                        var closure = localTypes[variable.Index].LocalType;
                        AddStorage(values, closure, SlotKind.Local, variable.Index, CompilerStorage.ClosureFields(closure));
                        continue;
                    }
                    if (IsCompilerGenerated(name) || !seen.Add(variable.Index))
                    {
                        continue;
                    }
                    if (localTypes is null || variable.Index >= localTypes.Count)
                    {
                        notCaptured.Add($"{name}: the method body has no local slot {variable.Index}");
                        continue;
                    }
                    var type = localTypes[variable.Index].LocalType;
                    if (type.IsByRef)
                    {
                        type = type.GetElementType()!;
                    }
                    Add(values, notCaptured, name, type, SlotKind.Local, variable.Index, null);
                }
            }
        }
        // A parameter a lambda captures is copied into the closure at entry, and from then on lives there: the
        // closure's field is the variable, the argument a stale copy. (All scopes: InScope decides per offset.)
        if (allScopes) return new CapturePlan(values, notCaptured);
        var captured = values.Where(v => v.Slot.Kind == SlotKind.Local && v.Slot.Fields is not null)
            .SelectMany(v => v.Slot.Fields!).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        if (captured.Count > 0)
        {
            values.RemoveAll(v => v.Slot.Kind == SlotKind.Argument && v.Slot.Fields is null && captured.Contains(v.Slot.Name));
        }
        return new CapturePlan(values, notCaptured);
    }

    // Display classes of lambdas (CS$<>8__locals0) and other synthesized locals: not something a developer named.
    private static bool IsCompilerGenerated(string name) => name.StartsWith("CS$", StringComparison.Ordinal) || name.Contains('<', StringComparison.Ordinal);

    // Compiler-generated storage is captured whole (one slot) and shown as its fields; nothing to show, no slot.
    private static void AddStorage(List<FrameValue> values, Type type, SlotKind kind, int index, IReadOnlyList<SlotField> fields)
    {
        if (fields.Count > 0 && WhyNotCapturable(type) is null)
        {
            values.Add(new FrameValue(new ProbeSlot(type.Name, type, kind, null, fields), index));
        }
    }

    private static void Add(List<FrameValue> values, List<string> notCaptured, string name, Type type, SlotKind kind, int index, string? originalName)
    {
        string? why = WhyNotCapturable(type);
        if (why is not null)
        {
            notCaptured.Add($"{name}: {Capture.CSharpTypeNames.Of(type)} {why}");
            return;
        }
        values.Add(new FrameValue(new ProbeSlot(name, type, kind, originalName), index));
    }

    /// <summary>Why a value of <paramref name="type"/> cannot be handed to the probe runtime, or null when it can.</summary>
    public static string? WhyNotCapturable(Type type)
    {
        if (type.IsPointer || type.IsFunctionPointer || type.IsUnmanagedFunctionPointer)
        {
            return "is a pointer and cannot be captured";
        }
        if (type == typeof(TypedReference))
        {
            return "is a TypedReference and cannot be captured";
        }
        if (type.IsByRefLike)
        {
            return "is a ref struct and cannot be captured";
        }
        if (type.IsByRef)
        {
            return "is a reference to a reference and cannot be captured";
        }
        return null;
    }
}
