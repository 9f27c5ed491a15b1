using System.Buffers.Binary;
using System.Reflection;
using System.Reflection.Metadata;
using System.Runtime.CompilerServices;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.Symbols;

/// <summary>
/// Where the compiler moved a method's variables: an async (or iterator) state machine's fields, and the fields of
/// a lambda's or local function's closure (display class). Maps those fields back to the names the developer wrote.
/// </summary>
internal static class CompilerStorage
{
    // Portable PDB custom debug information: the IL ranges in which each hoisted local of a state machine is in scope.
    private static readonly Guid StateMachineHoistedLocalScopes = new("6DA9A61E-F8C7-4874-BE62-68BC5630DF71");

    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    // Closures nest (a lambda inside a lambda): a bound on how deep a chain of display classes is followed.
    private const int MaxClosureDepth = 4;

    /// <summary>True for the type of an async method's or iterator's state machine (<c>&lt;Name&gt;d__N</c>).</summary>
    public static bool IsStateMachine(Type type) =>
        IsGenerated(type) && (typeof(IAsyncStateMachine).IsAssignableFrom(type) || type.Name.Contains(">d__", StringComparison.Ordinal));

    /// <summary>True for a closure class or struct (<c>&lt;&gt;c__DisplayClass…</c>).</summary>
    public static bool IsDisplayClass(Type type) => IsGenerated(type) && type.Name.StartsWith("<>c__DisplayClass", StringComparison.Ordinal);

    /// <summary>True for the singleton that holds lambdas capturing nothing (<c>&lt;&gt;c</c>): no variables of the developer.</summary>
    public static bool IsLambdaCache(Type type) => IsGenerated(type) && type.Name == "<>c";

    private static bool IsGenerated(Type type) => type.IsNested && type.Name.StartsWith('<');

    /// <summary>
    /// The fields of a state machine visible at <paramref name="ilOffset"/> of its <c>MoveNext</c>: the original
    /// method's parameters (fields named like them), its <c>this</c> (<c>&lt;&gt;4__this</c>) and the hoisted locals
    /// (<c>&lt;name&gt;5__N</c>, N-1 being the index into the hoisted-local scopes) whose scope contains the offset.
    /// Iterators follow the same pattern; their own fields are left out: a parameter's copy <c>&lt;&gt;3__name</c>
    /// (what <c>GetEnumerator</c> starts from; the live value is <c>name</c>), <c>&lt;&gt;2__current</c> and
    /// <c>&lt;&gt;l__initialThreadId</c>.
    /// </summary>
    public static List<SlotField> StateMachineFields(Type stateMachine, MetadataReader? pdb, MethodDefinitionHandle moveNext, int ilOffset)
    {
        var scopes = pdb is null ? null : HoistedScopes(pdb, moveNext);
        var result = new List<SlotField>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in stateMachine.GetFields(InstanceFields).OrderBy(f => f.MetadataToken))
        {
            string name = field.Name;
            if (name == "<>4__this")
            {
                Add(result, names, new SlotField("this", field, name));
            }
            else if (!name.Contains('<', StringComparison.Ordinal))
            {
                Add(result, names, new SlotField(name, field));
            }
            else if (TryHoisted(name, out var source, out var slot, out var closure))
            {
                if (scopes is not null && !InScope(scopes, slot, ilOffset))
                {
                    continue;
                }
                if (closure)
                {
                    var inner = ClosureFields(field.FieldType, 1);
                    if (inner.Count > 0)
                    {
                        result.Add(new SlotField(name, field, null, inner));
                    }
                }
                else
                {
                    Add(result, names, new SlotField(source, field, name));
                }
            }
        }
        return result;
    }

    /// <summary>The captured variables of a closure, under their source names; nested closures are followed.</summary>
    public static List<SlotField> ClosureFields(Type closure) => ClosureFields(closure, 0);

    private static List<SlotField> ClosureFields(Type closure, int depth)
    {
        var result = new List<SlotField>();
        if (depth >= MaxClosureDepth || !IsDisplayClass(closure))
        {
            return result;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in closure.GetFields(InstanceFields).OrderBy(f => f.MetadataToken))
        {
            string name = field.Name;
            if (name == "<>4__this")
            {
                Add(result, names, new SlotField("this", field, name));
            }
            else if (!name.Contains('<', StringComparison.Ordinal))
            {
                Add(result, names, new SlotField(name, field));
            }
            else if (name.StartsWith("CS$<>8__locals", StringComparison.Ordinal) || name.StartsWith("<>8__", StringComparison.Ordinal))
            {
                // The enclosing scope's closure: its variables are in scope too (the innermost name wins).
                var inner = ClosureFields(field.FieldType, depth + 1);
                if (inner.Count > 0)
                {
                    result.Add(new SlotField(name, field, null, inner));
                }
            }
        }
        return result;
    }

    private static void Add(List<SlotField> result, HashSet<string> names, SlotField field)
    {
        if (names.Add(field.Name))
        {
            result.Add(field);
        }
    }

    // "<total>5__2" is hoisted local slot 1 named total; "<>8__1" is the closure of hoisted slot 0.
    private static bool TryHoisted(string name, out string source, out int slot, out bool closure)
    {
        source = "";
        slot = -1;
        closure = false;
        int close = name.IndexOf('>', StringComparison.Ordinal);
        if (!name.StartsWith('<') || close < 1)
        {
            return false;
        }
        string rest = name[(close + 1)..];
        string number;
        if (close > 1 && rest.StartsWith("5__", StringComparison.Ordinal))
        {
            source = name[1..close];
            number = rest[3..];
        }
        else if (close == 1 && rest.StartsWith("8__", StringComparison.Ordinal))
        {
            closure = true;
            number = rest[3..];
        }
        else
        {
            return false;
        }
        if (!int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1)
        {
            return false;
        }
        slot = n - 1;
        return true;
    }

    private static bool InScope(List<(int Start, int Length)> scopes, int slot, int ilOffset)
    {
        if (slot < 0 || slot >= scopes.Count)
        {
            return false;
        }
        var (start, length) = scopes[slot];
        return ilOffset >= start && ilOffset < start + length;
    }

    private static List<(int Start, int Length)>? HoistedScopes(MetadataReader pdb, MethodDefinitionHandle method)
    {
        foreach (var handle in pdb.GetCustomDebugInformation(method))
        {
            var info = pdb.GetCustomDebugInformation(handle);
            if (pdb.GetGuid(info.Kind) != StateMachineHoistedLocalScopes)
            {
                continue;
            }
            var blob = pdb.GetBlobBytes(info.Value);
            var scopes = new List<(int, int)>(blob.Length / 8);
            for (int i = 0; i + 8 <= blob.Length; i += 8)
            {
                scopes.Add(((int)BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(i)), (int)BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(i + 4))));
            }
            return scopes;
        }
        return null;
    }
}
