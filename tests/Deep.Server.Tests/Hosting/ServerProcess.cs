using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Deep.Server.Tests.Hosting;

/// <summary>The real `deep server` process (the built CLI next to the tests), with its announced addresses.</summary>
internal sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = new();

    private ServerProcess(Process process) => _process = process;

    public Uri GrpcAddress { get; private set; } = null!;

    public Uri HttpAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output) return string.Join('\n', _output);
        }
    }

    public Process Process => _process;

    public static async Task<ServerProcess> StartAsync(string dataDirectory, params string[] extra)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "deep.dll"));
        foreach (var a in new[] { "server", "--data", dataDirectory, "--grpc-port", "0", "--http-port", "0" }.Concat(extra)) psi.ArgumentList.Add(a);
        psi.Environment.Remove("DEEP_API_KEY");
        var server = new ServerProcess(Process.Start(psi)!);
        server._process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.Add(e.Data); };
        server._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.Add(e.Data); };
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        await Eventually.TrueAsync(() => server.Output.Contains("ready", StringComparison.Ordinal) || server._process.HasExited,
            TimeSpan.FromSeconds(60), "the server process to start");
        Assert.False(server._process.HasExited, "the server exited: " + server.Output);
        server.GrpcAddress = new Uri(AgentsLine().Match(server.Output).Groups[1].Value);
        server.HttpAddress = new Uri(HttpLine().Match(server.Output).Groups[1].Value);
        return server;
    }

    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    /// <summary>Sends SIGTERM (what `kill` and service managers send) and waits for the exit.</summary>
    public int Terminate()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }
        Assert.True(_process.WaitForExit(20_000), "the server did not stop on SIGTERM");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }

    [GeneratedRegex(@"agents \(gRPC[^)]*\) at (\S+)")]
    private static partial Regex AgentsLine();

    [GeneratedRegex(@"HTTP API at (\S+?)api/")]
    private static partial Regex HttpLine();
}
