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
public static class FrameCollector
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
        if (type != null && method.Name == "MoveNext" && type.IsNested && type.Name.StartsWith('<'))
        {
            var original = type.Name[1..type.Name.IndexOf('>', StringComparison.Ordinal)];
            var isAsync = typeof(IAsyncStateMachine).IsAssignableFrom(type);
            return (original, type.DeclaringType, isAsync);
        }
        if (method.Name.StartsWith('<') && method.Name.IndexOf('>', StringComparison.Ordinal) > 1)
        {
            // A lambda or local function "<Outer>b__0_0" / "<Outer>g__Local|0_0": named after its enclosing method.
            var close = method.Name.IndexOf('>', StringComparison.Ordinal);
            var outer = method.Name[1..close];
            var rest = method.Name[(close + 1)..];
            var local = rest.StartsWith("g__", StringComparison.Ordinal) && rest.IndexOf('|', StringComparison.Ordinal) > 3
                ? rest[3..rest.IndexOf('|', StringComparison.Ordinal)]
                : null;
            var owner = type;
            while (owner != null && owner.IsNested && owner.Name.StartsWith('<'))
            {
                owner = owner.DeclaringType;
            }
            return (local != null ? outer + "." + local : outer + ".lambda", owner, false);
        }
        var declaring = type;
        while (declaring != null && declaring.IsNested && declaring.Name.StartsWith('<'))
        {
            declaring = declaring.DeclaringType;
        }
        return (method.Name, declaring, false);
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

    private static string? ShortPath(string file, string? appRoot)
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
