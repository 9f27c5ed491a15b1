using System.Diagnostics;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Attach;

/// <summary>
/// A .NET program started as a user would start it, <c>dotnet app.dll</c> or its apphost: no deep run, no profiler
/// variables, no startup hook, no <c>DEEP_*</c> settings. Driven over stdin like <see cref="DeepRunProcess"/>, which
/// runs it; its output is kept for failure messages.
/// </summary>
internal sealed class PlainProcess : IAsyncDisposable
{
    private static readonly string[] Stripped = ["DOTNET_STARTUP_HOOKS", "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH", "CORECLR_PROFILER_PATH_64"];

    private readonly DeepRunProcess _process;

    private PlainProcess(DeepRunProcess process) => _process = process;

    public int Id => _process.Id;

    public string Log => _process.Log;

    /// <summary>Starts <c>dotnet <paramref name="appDll"/></c> and waits for its "ready" line.</summary>
    public static PlainProcess Start(string appDll, IDictionary<string, string>? environment = null) =>
        Start("dotnet", [appDll], environment);

    /// <summary>Starts an executable (an apphost) and waits for its "ready" line.</summary>
    public static PlainProcess StartExecutable(string path, IDictionary<string, string>? environment = null) =>
        Start(path, [], environment);

    private static PlainProcess Start(string file, string[] arguments, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(file);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var name in Stripped.Concat(info.Environment.Keys.Where(k => k.StartsWith("DEEP_", StringComparison.Ordinal))).ToList())
        {
            info.Environment.Remove(name);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new PlainProcess(DeepRunProcess.Start(info));
        process._process.WaitReady();
        return process;
    }

    /// <summary>Sends a line ("verb arguments") and returns the text after "ok &lt;verb&gt; " of the answer.</summary>
    public string Call(string line)
    {
        var parts = line.Split(' ', 2);
        return _process.Call(parts[0], parts.Length > 1 ? parts[1] : null);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
