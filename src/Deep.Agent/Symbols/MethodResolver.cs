using System.Reflection;
using System.Reflection.Metadata;

namespace Deep.Agent.Symbols;

/// <summary>One method (one overload) a method location resolved to.</summary>
/// <param name="Symbols">The assembly's symbols.</param>
/// <param name="Method">The method.</param>
/// <param name="Handle">Its definition (for the PDB).</param>
/// <param name="DocumentPath">The source file the tracepoint's path matched, as recorded in the PDB.</param>
/// <param name="FirstLine">The method's first line with code in that file (0 when it has none there).</param>
internal sealed record ResolvedMethod(AssemblySymbols Symbols, MethodBase Method, MethodDefinitionHandle Handle, string DocumentPath, int FirstLine);

/// <summary>The outcome of resolving a method location: every overload, or a failure with a reason.</summary>
internal sealed record MethodResolution(IReadOnlyList<ResolvedMethod> Methods, ResolutionFailure? Failure, string? Error)
{
    public static MethodResolution Failed(ResolutionFailure failure, string error) => new([], failure, error);
}

/// <summary>
/// Resolves <c>method_name</c> (+ optional <c>class_name</c>) of a tracepoint: the tracepoint's path chooses a source
/// file (as for line tracepoints), the types declared in that file (those with code in it) are the candidates, and
/// every method of theirs with that name is a placement (all overloads). <c>class_name</c> is a simple name
/// (<c>Orders</c>, <c>Box`1</c> or <c>Box</c>) or a full name (<c>Shop.Orders</c>, nested types with <c>.</c> or <c>+</c>).
/// Constructors are <c>.ctor</c> (or the type's name), the static constructor <c>.cctor</c>.
/// </summary>
internal static class MethodResolver
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    /// <summary>Resolves against <paramref name="assemblies"/>.</summary>
    public static MethodResolution Resolve(string path, string methodName, string? className, IReadOnlyList<AssemblySymbols> assemblies)
    {
        var query = PathMatcher.Segments(path ?? "");
        if (query.Length == 0)
        {
            return MethodResolution.Failed(ResolutionFailure.FileNotFound, "the tracepoint has no path");
        }
        var matches = PathMatcher.BestMatches(query, assemblies);
        if (matches.Count == 0)
        {
            return MethodResolution.Failed(ResolutionFailure.FileNotFound,
                $"no source file matching '{path}' was found in the symbols (PDBs) of the {assemblies.Count} loaded assemblies; " +
                "the tracepoint stays pending until an assembly with that file loads");
        }
        if (matches.Select(m => m.Name).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            var listed = matches.Select(m => $"{m.Name} (in {m.Symbols.Assembly.GetName().Name})").Distinct().Take(10);
            return MethodResolution.Failed(ResolutionFailure.AmbiguousPath,
                $"'{path}' matches {matches.Count} source files equally well: {string.Join(", ", listed)}; give more of the path to choose one");
        }
        var (assembly, document, documentPath) = matches[0];
        return ResolveIn(assembly, document, documentPath, methodName, className);
    }

    /// <summary>Resolves among the types declared in one source document.</summary>
    public static MethodResolution ResolveIn(AssemblySymbols symbols, DocumentHandle document, string documentPath, string methodName, string? className)
    {
        var lines = symbols.MethodsIn(document);
        var firstLines = new Dictionary<int, int>();
        var types = new List<Type>();
        foreach (var method in lines)
        {
            firstLines[method.Token] = method.FirstLine;
            Type? type;
            try
            {
                type = symbols.Assembly.ManifestModule.ResolveMethod(method.Token)?.DeclaringType;
            }
            catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or MissingMethodException)
            {
                continue;
            }
            // A lambda, iterator or async state machine lives in a compiler-generated nested type: its source type is
            // the outer one.
            while (type is not null && type.IsNested && IsCompilerGenerated(type))
            {
                type = type.DeclaringType;
            }
            if (type is not null && !types.Contains(type))
            {
                types.Add(type);
            }
        }
        // Types without any code in the file (an abstract class, an interface with default members elsewhere): the
        // compiler records their documents in the PDB as TypeDefinitionDocuments custom debug information.
        foreach (var type in TypesWithoutCodeIn(symbols, document))
        {
            if (!types.Contains(type))
            {
                types.Add(type);
            }
        }
        if (className is not null)
        {
            types = types.Where(t => NameMatches(t, className)).ToList();
            if (types.Count == 0)
            {
                return MethodResolution.Failed(ResolutionFailure.NoCodeAtLine,
                    $"no type named '{className}' has code in {documentPath}");
            }
        }

        var found = new List<ResolvedMethod>();
        var refused = new List<string>();
        foreach (var type in types)
        {
            foreach (var method in MethodsNamed(type, methodName))
            {
                if (WhyNotInstrumentable(method) is { } why)
                {
                    refused.Add($"{Describe(method)} {why}");
                    continue;
                }
                var handle = (MethodDefinitionHandle)System.Reflection.Metadata.Ecma335.MetadataTokens.Handle(method.MetadataToken);
                found.Add(new ResolvedMethod(symbols, method, handle, documentPath, FirstLineOf(method, firstLines)));
            }
        }
        if (found.Count > 0)
        {
            return new MethodResolution(found, null, null);
        }
        if (refused.Count > 0)
        {
            return MethodResolution.Failed(ResolutionFailure.MethodNotInstrumentable, string.Join("; ", refused));
        }
        var names = string.Join(", ", types.Select(t => t.FullName).Take(10));
        return MethodResolution.Failed(ResolutionFailure.NoCodeAtLine,
            $"no method named '{methodName}' in the types with code in {documentPath}{(className is null ? "" : $" named '{className}'")} ({names})");
    }

    private static readonly Guid s_typeDefinitionDocuments = new("932E74BC-DBA9-4478-8D46-0F32A7BAB3D3");

    private static IEnumerable<Type> TypesWithoutCodeIn(AssemblySymbols symbols, DocumentHandle document)
    {
        var pdb = symbols.Reader;
        if (pdb is null)
        {
            yield break;
        }
        int documentRow = System.Reflection.Metadata.Ecma335.MetadataTokens.GetRowNumber(document);
        foreach (var handle in pdb.CustomDebugInformation)
        {
            var info = pdb.GetCustomDebugInformation(handle);
            if (info.Parent.Kind != HandleKind.TypeDefinition || pdb.GetGuid(info.Kind) != s_typeDefinitionDocuments)
            {
                continue;
            }
            var blob = pdb.GetBlobReader(info.Value);
            bool inDocument = false;
            while (blob.RemainingBytes > 0)
            {
                if (blob.ReadCompressedInteger() == documentRow)
                {
                    inDocument = true;
                    break;
                }
            }
            if (!inDocument)
            {
                continue;
            }
            Type? type = null;
            try
            {
                type = symbols.Assembly.ManifestModule.ResolveType(System.Reflection.Metadata.Ecma335.MetadataTokens.GetToken(info.Parent));
            }
            catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException)
            {
            }
            if (type is not null)
            {
                yield return type;
            }
        }
    }

    /// <summary>Why <paramref name="method"/> cannot get method probes, or null when it can.</summary>
    public static string? WhyNotInstrumentable(MethodBase method)
    {
        if (method.IsAbstract)
        {
            return "is abstract: it has no code (set the tracepoint on an implementation)";
        }
        if (method.GetMethodBody() is null)
        {
            return "has no IL body (extern, P/Invoke or runtime-implemented)";
        }
        if (method.DeclaringType?.Assembly == typeof(MethodResolver).Assembly)
        {
            return "is part of the DEEP agent, which never instruments itself";
        }
        if (method.DeclaringType?.Assembly == typeof(object).Assembly)
        {
            return "is in System.Private.CoreLib, which cannot be instrumented";
        }
        return null;
    }

    /// <summary>The overload as a developer reads it: <c>Add(int a, string b)</c>.</summary>
    public static string Signature(MethodBase method)
    {
        string name = method.IsConstructor ? method.DeclaringType?.Name ?? method.Name : method.Name;
        if (method.IsGenericMethodDefinition)
        {
            name += "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name)) + ">";
        }
        var parameters = method.GetParameters().Select(p => $"{Capture.CSharpTypeNames.Of(p.ParameterType)} {p.Name}");
        return $"{name}({string.Join(", ", parameters)})";
    }

    /// <summary><c>Namespace.Type.Method(signature)</c>.</summary>
    public static string Describe(MethodBase method) => $"{method.DeclaringType?.FullName}.{Signature(method)}";

    // An async method or iterator keeps its code (and sequence points) in the state machine's MoveNext: the stub
    // the developer wrote has none, so its first line is MoveNext's.
    private static int FirstLineOf(MethodBase method, Dictionary<int, int> firstLines)
    {
        if (firstLines.TryGetValue(method.MetadataToken, out int line))
        {
            return line;
        }
        try
        {
            var machine = method.GetCustomAttributesData()
                .FirstOrDefault(a => a.AttributeType.IsSubclassOf(typeof(System.Runtime.CompilerServices.StateMachineAttribute)))
                ?.ConstructorArguments.FirstOrDefault().Value as Type;
            var moveNext = machine?.GetMethod("MoveNext", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            return moveNext is not null ? firstLines.GetValueOrDefault(moveNext.MetadataToken) : 0;
        }
        catch (Exception e) when (e is TypeLoadException or FileNotFoundException or BadImageFormatException or AmbiguousMatchException)
        {
            return 0;
        }
    }

    private static IEnumerable<MethodBase> MethodsNamed(Type type, string name)
    {
        if (name is ".ctor" or "ctor" || name == type.Name.Split('`')[0])
        {
            foreach (var ctor in type.GetConstructors(Declared).Where(c => !c.IsStatic))
            {
                yield return ctor;
            }
            yield break;
        }
        if (name is ".cctor" or "cctor")
        {
            if (type.TypeInitializer is { } cctor)
            {
                yield return cctor;
            }
            yield break;
        }
        foreach (var method in type.GetMethods(Declared))
        {
            if (string.Equals(method.Name, name, StringComparison.Ordinal))
            {
                yield return method;
            }
        }
    }

    private static bool NameMatches(Type type, string className)
    {
        var simple = type.Name;
        int tick = simple.IndexOf('`', StringComparison.Ordinal);
        var full = type.FullName ?? simple;
        return className == simple
            || (tick > 0 && className == simple[..tick])
            || className == full
            || className == full.Replace('+', '.')
            || (full.Contains('`', StringComparison.Ordinal) && className == StripArity(full.Replace('+', '.')));
    }

    private static string StripArity(string name) => System.Text.RegularExpressions.Regex.Replace(name, "`[0-9]+", "");

    private static bool IsCompilerGenerated(Type type) => type.Name.Contains('<', StringComparison.Ordinal);
}
