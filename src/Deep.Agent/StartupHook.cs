using System.Runtime.CompilerServices;
using System.Runtime.Loader;

/// <summary>
/// The .NET startup hook (<c>DOTNET_STARTUP_HOOKS</c> pointing at Deep.Agent.dll, as <c>deep run</c> sets it): starts
/// the agent before <c>Main</c>. It must be a type named <c>StartupHook</c> in no namespace.
/// </summary>
#pragma warning disable CA1050 // the runtime looks for this exact type in the global namespace
public static class StartupHook
#pragma warning restore CA1050
{
    /// <summary>Called by the runtime before the application's Main; never throws.</summary>
    public static void Initialize()
    {
        try
        {
            // The runtime loads the hook from its path, but resolves the hook's own dependencies (Deep.Protocol)
            // only from the application's directory. Resolve them from next to the agent, and only those the
            // application does not have itself.
            var agentDirectory = Path.GetDirectoryName(typeof(StartupHook).Assembly.Location);
            if (!string.IsNullOrEmpty(agentDirectory))
            {
                AssemblyLoadContext.Default.Resolving += (context, name) =>
                {
                    if (name.Name is not { } simple || !simple.StartsWith("Deep.", StringComparison.Ordinal)) return null;
                    var candidate = Path.Combine(agentDirectory, simple + ".dll");
                    return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
                };
            }
            StartAgent();
        }
        catch
        {
            // A startup hook that throws stops the application from starting: never.
        }
    }

    // Separate and not inlined, so that the agent's types (and their dependencies) load after the resolver is in place.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StartAgent() => Deep.Agent.DeepAgent.Start();
}
