using System.Reflection;
using Deep.Abi;
using Deep.Agent.Instrumentation;
using Deep.Agent.Native;

// Lets the recorder be loaded with DOTNET_STARTUP_HOOKS, the way `deep run` loads the agent: then the
// application's AssemblyRef to Deep.Agent must bind to this copy, which is not in the application's TPA list.
internal static class StartupHook
{
    public static void Initialize()
    {
    }
}

namespace Deep.Agent.Probes
{
    /// <summary>For apps that cannot reference the recorder at compile time (startup-hook tests).</summary>
    public static class TestControl
    {
        /// <summary>Probes <paramref name="method"/> at IL offset 0 capturing its first <paramref name="count"/> arguments.</summary>
        public static string ProbeArguments(MethodBase method, int probeId, int count)
        {
            var slots = Enumerable.Range(0, count).Select(i => new SlotSource(SlotKind.Argument, i)).ToList();
            var result = ProfilerBridge.SetMethodProbesAsync(method, [new ProbeInsertion(probeId, 0, slots)]).GetAwaiter().GetResult();
            return result.Success ? "ok" : "error: " + result.Error;
        }

        /// <summary>Why the bridge is not loaded, or null.</summary>
        public static string? NotLoadedReason => ProfilerBridge.IsLoaded ? null : ProfilerBridge.NotLoadedReason;
    }
}
