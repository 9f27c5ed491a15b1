using System.Runtime.CompilerServices;

/// <summary>
/// The agent's .NET startup hook: starts the agent before <c>Main</c>. <c>deep run</c> names the loader next to it in
/// <c>DOTNET_STARTUP_HOOKS</c> (src/Deep.Agent.Loader), which calls this only on a supported runtime; naming
/// Deep.Agent.dll there directly also works on one. It must be a type named <c>StartupHook</c> in no namespace.
/// </summary>
#pragma warning disable CA1050 // the runtime looks for this exact type in the global namespace
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class StartupHook
#pragma warning restore CA1050
{
    /// <summary>
    /// Called by the runtime before the application's Main; never throws. Reads the settings and hands the rest of
    /// the start to an agent thread, so Main is not kept waiting (docs/agent.md, "Start-up").
    /// </summary>
    public static void Initialize()
    {
        try
        {
            // One agent build (net8.0) for .NET 8 to 10; on any other runtime it stays out and says so in one line.
            if (Deep.Agent.Native.RuntimeSupport.WhyUnsupported() is { } unsupported)
            {
                Console.Error.WriteLine(unsupported);
                return;
            }
            // The agent's own dependencies (Deep.Protocol) are resolved from next to Deep.Agent.dll by
            // Deep.Agent.Native.AgentDependencyResolver, a module initializer that runs before this method.
            StartAgent();
        }
        catch
        {
            // A startup hook that throws stops the application from starting: never.
        }
    }

    // Separate and not inlined, so that the agent's types (and their dependencies) load after the resolver is in place.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StartAgent() => Deep.Agent.DeepAgent.StartInBackground();
}
