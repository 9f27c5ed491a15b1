using Deep.Profiler.Com;

namespace Deep.Profiler.Engine;

/// <summary>
/// Keeps application methods out of dynamic methods (JITInlining). A DynamicMethod cannot be ReJIT'd, so a copy of a
/// method inlined into one never runs probes: ASP.NET Core MVC calls every controller action through a compiled
/// expression (<c>lambda_method</c>), and in Release a small action is inlined there. Refused, the action stays a
/// method of its own that <c>RequestReJITWithInliners</c> reaches; what it inlines in turn is inlined into a real
/// method. The price is one call per application method called from a DynamicMethod; framework methods (under the
/// runtime's <c>shared</c> directory) are still inlined.
/// </summary>
/// <remarks>
/// Runs inside the JIT on application threads: for an ordinary caller it costs one IsFunctionDynamic; the rest
/// (rare: dynamic callers) looks the callee's module up once and caches the answer. Code compiled before the
/// profiler attached keeps its inlined copies.
/// </remarks>
internal static class InliningGuard
{
    private const string CoreLibName = "System.Private.CoreLib";
    private static readonly object s_lock = new();
    private static readonly Dictionary<nint, bool> s_application = [];
    private static string? s_frameworkRoot;

    /// <summary>True when the JIT must not inline <paramref name="calleeId"/> into <paramref name="callerId"/>.</summary>
    public static bool Refuses(CorProfilerInfo info, nint callerId, nint calleeId)
    {
        if (HResults.Failed(info.IsFunctionDynamic(callerId, out bool dynamic)) || !dynamic)
            return false;
        if (HResults.Failed(info.GetFunctionInfo(calleeId, out nint moduleId, out _)) || moduleId == 0)
            return false;
        bool refuse = IsApplicationModule(info, moduleId);
        if (refuse && Log.Enabled)
            Log.Write($"inlining refused: function 0x{calleeId:X} of {ProbeEngine.Modules.Get(moduleId)?.AssemblyName ?? $"module 0x{moduleId:X}"} into dynamic method 0x{callerId:X}");
        return refuse;
    }

    /// <summary>Drops what is cached about an unloaded module (its id may be reused).</summary>
    public static void Forget(nint moduleId)
    {
        lock (s_lock)
            s_application.Remove(moduleId);
    }

    private static bool IsApplicationModule(CorProfilerInfo info, nint moduleId)
    {
        lock (s_lock)
        {
            if (s_application.TryGetValue(moduleId, out bool known))
                return known;
        }
        string? root = FrameworkRoot();
        if (root is null)
            return false; // not known yet: leave the JIT alone, ask again next time
        string path = ProbeEngine.Modules.Get(moduleId)?.Path ?? PathOf(info, moduleId);
        bool application = FrameworkFiles.IsApplicationPath(path, root);
        lock (s_lock)
            s_application[moduleId] = application;
        return application;
    }

    private static string PathOf(CorProfilerInfo info, nint moduleId) =>
        HResults.Failed(info.GetModuleInfo(moduleId, out string path, out _)) ? "" : path;

    private static string? FrameworkRoot()
    {
        if (s_frameworkRoot is { } known)
            return known;
        foreach (var module in ProbeEngine.Modules.Snapshot())
        {
            if (module.AssemblyName == CoreLibName && module.Path.Length > 0)
                return s_frameworkRoot = FrameworkFiles.RootOf(module.Path);
        }
        return null;
    }
}
