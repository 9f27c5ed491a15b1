using System.Collections.Concurrent;
using System.Reflection;
using Deep.Agent.Capture;

namespace Deep.Agent.ExceptionReplay;

/// <summary>
/// Which methods are the application's own: in an assembly with symbols (a .pdb next to it) that is not the
/// framework's, not the agent's, and not excluded by <c>DEEP_IN_APP_EXCLUDE</c> (a package without its .pdb is not
/// app code); the namespace rules of <see cref="FrameCollector.IsAppFrame"/> apply too.
/// </summary>
internal sealed class AppCode(FrameOptions options)
{
    private readonly FrameOptions _options = options with { AppRoot = null }; // no file names on the hot path
    private readonly ConcurrentDictionary<Assembly, bool> _assemblies = new();
    private static readonly Assembly Agent = typeof(AppCode).Assembly;

    public bool Contains(MethodBase? method)
    {
        if (method?.DeclaringType is not { } type) return false;
        if (!_assemblies.GetOrAdd(type.Assembly, static a => HasSymbols(a))) return false;
        var (_, declaring, _) = FrameCollector.Describe(method);
        return FrameCollector.IsAppFrame(declaring ?? type, "", _options);
    }

    private static bool HasSymbols(Assembly assembly)
    {
        try
        {
            if (assembly == Agent || assembly.IsDynamic || FrameworkTypes.IsFrameworkAssembly(assembly)) return false;
            var name = assembly.GetName().Name ?? "";
            if (name is "Deep.Agent" or "Deep.Agent.Loader" or "Deep.Agent.Logging" or "Deep.Protocol" or "Deep.Tracepoints") return false;
            var location = assembly.Location;
            return location.Length > 0 && File.Exists(Path.ChangeExtension(location, ".pdb"));
        }
        catch
        {
            return false;
        }
    }
}
