using System.Reflection;
using System.Runtime.CompilerServices;
using Deep.Protocol;

namespace Deep.Agent.Capture;

/// <summary>Collects the call stack above the probe, innermost first.</summary>
/// <remarks>
/// A frame is an application frame (<c>app_frame</c>) unless: it matches <see cref="FrameOptions.InAppExclude"/>;
/// or it matches none of a non-empty <see cref="FrameOptions.InAppInclude"/> and is not under
/// <see cref="FrameOptions.AppRoot"/>; or (with no include match) its type is in a <c>System</c> or
/// <c>Microsoft</c> namespace or a framework assembly; or an app root is set and its file is not under it.
/// An <c>async</c> method's frame is its state machine's <c>MoveNext</c>: it is reported under the method's own name,
/// with the class that declares the method, and <c>is_async</c> set.
/// </remarks>
internal static class FrameCollector
{
    /// <summary>
    /// The frames of the current thread's stack, skipping <paramref name="skipFrames"/> frames above the caller
    /// (the caller itself is frame 0). Never throws: on failure the list is empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static List<StackFrame> Collect(int skipFrames, FrameOptions options)
    {
        var frames = new List<StackFrame>();
        try
        {
            options ??= new FrameOptions();
            // +1: this method's own frame.
            var trace = new System.Diagnostics.StackTrace(Math.Max(0, skipFrames) + 1, fNeedFileInfo: true);
            foreach (var frame in trace.GetFrames())
            {
                var converted = Convert(frame, options);
                if (converted == null)
                {
                    continue;
                }
                frames.Add(converted);
                if (!options.IncludeStack)
                {
                    break;
                }
            }
        }
        catch (Exception)
        {
            // A stack walk failing must never fail the snapshot; it is reported with no frames.
        }
        return frames;
    }

    /// <summary>Converts one frame; null for a frame with no managed method.</summary>
    internal static StackFrame? Convert(System.Diagnostics.StackFrame frame, FrameOptions options)
    {
        var method = frame.GetMethod();
        if (method == null)
        {
            return null;
        }
        var (methodName, declaring, isAsync) = Describe(method);
        var file = frame.GetFileName() ?? "";
        var result = new StackFrame
        {
            FileName = file,
            MethodName = methodName,
            LineNumber = (uint)Math.Max(0, frame.GetFileLineNumber()),
            ClassName = declaring != null ? CSharpTypeNames.FullNameOf(declaring) : null,
            IsAsync = isAsync,
            AppFrame = IsAppFrame(declaring, file, options),
            ShortPath = ShortPath(file, options.AppRoot),
        };
        var column = frame.GetFileColumnNumber();
        if (column > 0)
        {
            result.ColumnNumber = (uint)column;
        }
        return result;
    }

    /// <summary>The source-level method name and declaring type behind compiler-generated state machines and closures.</summary>
    internal static (string Method, Type? Declaring, bool IsAsync) Describe(MethodBase method)
    {
        var type = method.DeclaringType;
        var declaring = type;
        while (declaring != null && declaring.IsNested && declaring.Name.StartsWith('<'))
        {
            declaring = declaring.DeclaringType;
        }
        if (type != null && method.Name == "MoveNext" && type.IsNested && SplitGeneratedName(type.Name) is ({ } original, _))
        {
            return (original, type.DeclaringType, typeof(IAsyncStateMachine).IsAssignableFrom(type));
        }
        return (SourceMethodName(method.Name), declaring, false);
    }

    /// <summary>
    /// The name a developer knows for a method the compiler named: a lambda <c>&lt;Outer&gt;b__0_0</c> is
    /// <c>Outer.lambda</c>, a local function <c>&lt;Outer&gt;g__Local|0_0</c> is <c>Outer.Local</c>, the entry point of
    /// top-level statements <c>&lt;Main&gt;$</c> is <c>Main</c>; any other name is returned as it is.
    /// </summary>
    internal static string SourceMethodName(string name)
    {
        if (name == TopLevelMain) return "Main";
        if (SplitGeneratedName(name) is not ({ } outer, { } rest)) return name;
        if (rest.StartsWith("b__", StringComparison.Ordinal)) return outer + ".lambda";
        var bar = rest.IndexOf('|', StringComparison.Ordinal);
        if (rest.StartsWith("g__", StringComparison.Ordinal) && bar > 3) return outer + "." + rest[3..bar];
        return name;
    }

    private const string TopLevelMain = "<Main>$";

    /// <summary>
    /// Splits a generated name <c>&lt;Outer&gt;rest</c> into the source name inside the brackets and what follows.
    /// The brackets nest (<c>&lt;&lt;Main&gt;$&gt;b__0_0</c> is a lambda in top-level statements).
    /// </summary>
    private static (string? Outer, string? After) SplitGeneratedName(string name)
    {
        if (!name.StartsWith('<')) return (null, null);
        var depth = 0;
        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] == '<') depth++;
            else if (name[i] == '>' && --depth == 0)
            {
                if (i < 2) return (null, null);
                var outer = name[1..i];
                return (outer == TopLevelMain ? "Main" : outer, name[(i + 1)..]);
            }
        }
        return (null, null);
    }

    internal static bool IsAppFrame(Type? declaring, string file, FrameOptions options)
    {
        var ns = declaring?.Namespace ?? "";
        var fullName = declaring != null ? CSharpTypeNames.FullNameOf(declaring) : "";
        if (Matches(options.InAppExclude, fullName, file))
        {
            return false;
        }
        if (Matches(options.InAppInclude, fullName, file))
        {
            return true;
        }
        if (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal) || ns == "Microsoft" || ns.StartsWith("Microsoft.", StringComparison.Ordinal)
            || (declaring != null && FrameworkTypes.IsFrameworkAssembly(declaring.Assembly)))
        {
            return false;
        }
        if (!string.IsNullOrEmpty(options.AppRoot))
        {
            return file.Length > 0 && UnderRoot(file, options.AppRoot);
        }
        return options.InAppInclude is not { Count: > 0 };
    }

    private static bool Matches(IReadOnlyList<string>? prefixes, string typeName, string file)
    {
        if (prefixes == null)
        {
            return false;
        }
        foreach (var raw in prefixes)
        {
            var prefix = raw?.Trim();
            if (string.IsNullOrEmpty(prefix))
            {
                continue;
            }
            if (typeName.StartsWith(prefix, StringComparison.Ordinal) || (file.Length > 0 && UnderRoot(file, prefix)))
            {
                return true;
            }
        }
        return false;
    }

    private static bool UnderRoot(string file, string root)
    {
        var f = file.Replace('\\', '/');
        var r = root.Replace('\\', '/').TrimEnd('/');
        return r.Length > 0 && f.StartsWith(r + "/", StringComparison.Ordinal);
    }

    internal static string? ShortPath(string file, string? appRoot)
    {
        if (file.Length == 0)
        {
            return null;
        }
        if (!string.IsNullOrEmpty(appRoot) && UnderRoot(file, appRoot))
        {
            return file.Replace('\\', '/')[(appRoot.Replace('\\', '/').TrimEnd('/').Length + 1)..];
        }
        return file;
    }
}
