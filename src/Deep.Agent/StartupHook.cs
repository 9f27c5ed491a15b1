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
            Deep.Agent.DeepAgent.Start();
        }
        catch
        {
            // A startup hook that throws stops the application from starting: never.
        }
    }
}
