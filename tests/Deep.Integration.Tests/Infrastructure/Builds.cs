namespace Deep.Integration.Tests.Infrastructure;

/// <summary>
/// Builds, once per test run, what the tests start: the test app in Debug and in Release (and self-contained for
/// .NET 8 and 9), and the <c>deep</c> CLI. <c>deep run</c> itself builds the agent and the profiler on first use.
/// </summary>
internal static class Builds
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly string Output = System.IO.Path.Combine(AppContext.BaseDirectory, "built");
    private static readonly Dictionary<string, string> Done = [];

    public static Task<string> TestAppAsync(string configuration) =>
        BuildAsync("tests/TestApps/Deep.TestApp/Deep.TestApp.csproj", configuration, "Deep.TestApp.dll");

    /// <summary>
    /// The test app published self-contained for an older runtime (<c>net8.0</c>, <c>net9.0</c>): its executable, which
    /// runs on the runtime in its own folder (this machine has only the .NET 10 shared runtime). Published once per run.
    /// </summary>
    public static async Task<string> SelfContainedTestAppAsync(string targetFramework)
    {
        var key = "self-contained|" + targetFramework;
        await Gate.WaitAsync();
        try
        {
            if (Done.TryGetValue(key, out var built))
            {
                return built;
            }
            var outDir = System.IO.Path.Combine(Output, "Deep.TestApp-" + targetFramework);
            await Exec.CheckedAsync("dotnet", "publish", Repo.Path("tests/TestApps/Deep.TestApp.SelfContained/Deep.TestApp.SelfContained.csproj"),
                "-f", targetFramework, "-c", "Release", "-o", outDir, "-nologo", "-v", "q", "-clp:ErrorsOnly");
            var path = System.IO.Path.Combine(outDir, "Deep.TestApp");
            Done[key] = path;
            return path;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The ASP.NET Core sample (samples/WebShop).</summary>
    public static Task<string> WebShopAsync(string configuration) =>
        BuildAsync("samples/WebShop/WebShop.csproj", configuration, "WebShop.dll");

    /// <summary>The app with an OpenTelemetry SDK pipeline (tests/TestApps/OtelApp), Release.</summary>
    public static Task<string> OtelAppAsync() =>
        BuildAsync("tests/TestApps/OtelApp/OtelApp.csproj", "Release", "OtelApp.dll");

    /// <summary>The <c>./deep</c> script, after it built the CLI (it rebuilds itself when sources change).</summary>
    public static async Task<string> DeepAsync()
    {
        await Gate.WaitAsync();
        try
        {
            var deep = Repo.Path("deep");
            if (!Done.ContainsKey("deep"))
            {
                await Exec.CheckedAsync(deep, "--help");
                Done["deep"] = deep;
            }
            return deep;
        }
        finally
        {
            Gate.Release();
        }
    }

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
