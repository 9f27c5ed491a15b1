using System.Reflection;
using Deep.Agent.Native;

/// <summary>
/// The .NET startup hook <c>deep run</c> names in <c>DOTNET_STARTUP_HOOKS</c> (Deep.Agent.Loader.dll). Built for
/// netstandard2.0 so that every runtime with startup hooks can load it: on a runtime the agent does not support it
/// says so in one line and stays out; on a supported one it hands over to the agent's own startup hook
/// (Deep.Agent.dll next to this file). It must be a type named <c>StartupHook</c> in no namespace.
/// </summary>
#pragma warning disable CA1050 // the runtime looks for this exact type in the global namespace
public static class StartupHook
#pragma warning restore CA1050
{
    private const string AgentFileName = "Deep.Agent.dll";

    /// <summary>Called by the runtime before the application's Main; never throws.</summary>
    public static void Initialize()
    {
        try
        {
            if (RuntimeSupport.WhyUnsupported() is { } unsupported)
            {
                Console.Error.WriteLine(unsupported);
                return;
            }
            StartAgent();
        }
#pragma warning disable CA1031 // a startup hook that throws stops the application from starting: never
        catch (Exception e)
        {
            try
            {
                // One line, whatever the message holds (a FileNotFoundException's ends with a line break).
                var message = e.Message.Replace('\r', ' ').Replace('\n', ' ').Trim();
                Console.Error.WriteLine($"deep agent: not started ({e.GetType().Name}: {message}); the program runs without it");
            }
            catch
            {
                // Not even a line to stderr: stay quiet rather than stop the application.
            }
        }
#pragma warning restore CA1031
    }

    private static void StartAgent()
    {
        var folder = Path.GetDirectoryName(typeof(StartupHook).Assembly.Location);
        if (string.IsNullOrEmpty(folder))
        {
            throw new InvalidOperationException("the loader's own folder is unknown, so " + AgentFileName + " cannot be found");
        }
        // LoadFrom puts the agent into the default load context, where the runtime puts startup hooks and where the
        // profiler's rewritten IL finds it by name.
        var agent = Assembly.LoadFrom(Path.Combine(folder, AgentFileName));
        var initialize = agent.GetType("StartupHook", throwOnError: true)!.GetMethod("Initialize", BindingFlags.Public | BindingFlags.Static, null, Type.EmptyTypes, null)
            ?? throw new MissingMethodException("StartupHook", "Initialize");
        initialize.Invoke(null, null);
    }
}
