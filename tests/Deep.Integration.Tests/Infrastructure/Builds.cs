namespace Deep.Integration.Tests.Infrastructure;

/// <summary>
/// Builds, once per test run, what the tests start: the test app in Debug and in Release, and the run host
/// (<c>deep run</c>'s command). <c>deep run</c> itself builds the agent and the profiler on first use.
/// </summary>
internal static class Builds
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly string Output = System.IO.Path.Combine(AppContext.BaseDirectory, "built");
    private static readonly Dictionary<string, string> Done = [];

    public static Task<string> TestAppAsync(string configuration) =>
        BuildAsync("tests/TestApps/Deep.TestApp/Deep.TestApp.csproj", configuration, "Deep.TestApp.dll");

    public static Task<string> RunHostAsync() =>
        BuildAsync("tests/TestApps/Deep.RunHost/Deep.RunHost.csproj", "Release", "Deep.RunHost.dll");

    private static async Task<string> BuildAsync(string project, string configuration, string dll)
    {
        var key = project + "|" + configuration;
        await Gate.WaitAsync();
        try
        {
            if (Done.TryGetValue(key, out var built))
            {
                return built;
            }
            var outDir = System.IO.Path.Combine(Output, System.IO.Path.GetFileNameWithoutExtension(project) + "-" + configuration);
            await Exec.CheckedAsync("dotnet", "build", Repo.Path(project), "-c", configuration, "-o", outDir, "-nologo", "-v", "q", "-clp:ErrorsOnly");
            var path = System.IO.Path.Combine(outDir, dll);
            Done[key] = path;
            return path;
        }
        finally
        {
            Gate.Release();
        }
    }
}
