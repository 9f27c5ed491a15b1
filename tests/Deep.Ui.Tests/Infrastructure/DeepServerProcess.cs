using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Deep.Ui.Tests.Infrastructure;

/// <summary>
/// The real <c>deep server</c> process (the built src/Deep.Cli, serving the web UI files copied next to it) on free
/// loopback ports with a temporary data folder; killed and cleaned up on dispose.
/// </summary>
internal sealed class DeepServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _dataDir;

    private DeepServerProcess(Process process, string dataDir, int httpPort, int grpcPort, string? apiKey)
    {
        _process = process;
        _dataDir = dataDir;
        HttpPort = httpPort;
        GrpcPort = grpcPort;
        ApiKey = apiKey;
        HttpUrl = new Uri($"http://127.0.0.1:{httpPort}/");
    }

    /// <summary>The web UI and HTTP API.</summary>
    public Uri HttpUrl { get; }

    /// <summary>The HTTP port.</summary>
    public int HttpPort { get; }

    /// <summary>The gRPC (agent) port.</summary>
    public int GrpcPort { get; }

    /// <summary>The API key the server requires, if any.</summary>
    public string? ApiKey { get; }

    /// <summary>What the server printed so far, for failure messages.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts the <c>deep server</c> process and waits until its HTTP API answers.</summary>
    public static Task<DeepServerProcess> StartAsync(string? apiKey = null)
        => StartAsync(apiKey, Repo.NewTempDir("deep-ui-data"), FreePort(), FreePort());

    /// <summary>Stops this server (keeping its data) and starts a new one on the same ports and data folder.</summary>
    public async Task<DeepServerProcess> RestartAsync()
    {
        await StopAsync();
        _process.Dispose();
        return await StartAsync(ApiKey, _dataDir, HttpPort, GrpcPort);
    }

    /// <summary>Kills the server process; its data folder stays.</summary>
    public async Task StopAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
        }
        catch (InvalidOperationException) { }
        catch (TimeoutException) { }
    }

    private static async Task<DeepServerProcess> StartAsync(string? apiKey, string dataDir, int http, int grpc)
    {
        if (!File.Exists(Repo.DeepCliDll))
            throw new InvalidOperationException($"The deep command is not built at {Repo.DeepCliDll}; build tests/Deep.Ui.Tests first.");

        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Repo.DeepCliDll)!,
        };
        foreach (var a in new[] { Repo.DeepCliDll, "server", "--http-port", http.ToString(), "--grpc-port", grpc.ToString(),
                     "--data", dataDir, "--listen", "127.0.0.1" })
            psi.ArgumentList.Add(a);
        if (apiKey is not null) { psi.ArgumentList.Add("--api-key"); psi.ArgumentList.Add(apiKey); }
        psi.Environment.Remove("DEEP_API_KEY");

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        var server = new DeepServerProcess(process, dataDir, http, grpc, apiKey);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>An HTTP client for the server's API, with the API key when one is set.</summary>
    public HttpClient NewApiClient()
    {
        var client = new HttpClient { BaseAddress = HttpUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (ApiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", ApiKey);
        return client;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var client = NewApiClient();
        client.Timeout = TimeSpan.FromSeconds(5);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"deep server exited with code {_process.ExitCode} before it answered:\n{Output}");
            try
            {
                using var res = await client.GetAsync("api/echo");
                if (res.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"deep server did not answer GET /api/echo within {timeout}:\n{Output}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
