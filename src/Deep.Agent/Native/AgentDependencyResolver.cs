using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace Deep.Agent.Native;

/// <summary>
/// Lets the agent find its own dependencies (Deep.Protocol, Deep.Tracepoints) next to Deep.Agent.dll when it is loaded as a startup
/// hook. The runtime loads a startup hook by path, but resolves the hook's references only from the application's
/// own list of assemblies, which does not contain ours: without this, the agent fails with "Could not load file or
/// assembly 'Deep.Protocol'". An application that references the agent normally never reaches this handler.
/// </summary>
internal static class AgentDependencyResolver
{
    private static string? s_directory;

    /// <summary>Runs when the agent assembly is first touched, before the startup hook's Initialize.</summary>
#pragma warning disable CA2255 // a module initializer is exactly what is needed: it must run before any other agent code
    [ModuleInitializer]
    internal static void Register()
#pragma warning restore CA2255
    {
        try
        {
            var location = typeof(AgentDependencyResolver).Assembly.Location;
            if (string.IsNullOrEmpty(location))
            {
                return;
            }
            s_directory = Path.GetDirectoryName(location);
            AssemblyLoadContext.Default.Resolving += Resolve;
        }
        catch (Exception)
        {
            // Never hurt the host: without the handler the agent may fail to start, and says so.
        }
    }

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        try
        {
            // Only our own assemblies: anything else is the application's business.
            if (s_directory is null || name.Name is null || !name.Name.StartsWith("Deep.", StringComparison.Ordinal))
            {
                return null;
            }
            var candidate = Path.Combine(s_directory, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        }
        catch (Exception)
        {
            return null;
        }
    }
}
