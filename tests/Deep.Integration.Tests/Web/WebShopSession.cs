using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;
using Deep.Server;

namespace Deep.Integration.Tests.Web;

/// <summary>
/// The ASP.NET Core sample (samples/WebShop) built in one configuration, running under <c>deep run</c> against a real
/// server in this process, with an HTTP client for its endpoints. Kestrel listens on a free loopback port.
/// </summary>
internal sealed class WebShopSession : IAsyncDisposable
{
    private const string Listening = "webshop: listening on ";
    private readonly string _dataDirectory;

    private WebShopSession(DeepServer server, DeepRunProcess app, Uri address, string dataDirectory)
    {
        Server = server;
        App = app;
        Api = new DeepApi(server.HttpAddress);
        // Generous: a request that takes this long under a loaded machine is a hang, and fails the test.
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        _dataDirectory = dataDirectory;
    }

    public DeepServer Server { get; }

    public DeepRunProcess App { get; }

    public DeepApi Api { get; }

    public HttpClient Http { get; }

    /// <summary>The line of a <c>// @marker</c> in a source file of the sample.</summary>
    public static int Line(string file, string marker) => Repo.Line("samples/WebShop/" + file, marker);

    public static async Task<WebShopSession> StartAsync(string configuration, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var dll = await Builds.WebShopAsync(configuration);
        var data = Path.Combine(Path.GetTempPath(), "deep-web-" + Guid.NewGuid().ToString("N"));
        var server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = data });
        var variables = new Dictionary<string, string?>
        {
            ["DEEP_DEBUG"] = "true",
            ["DEEP_POLL_TIMER"] = "0.2",
            ["DEEP_MAX_SNAPSHOTS_PER_SECOND"] = "-1",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["ExitOnStdinEof"] = "true",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) variables[name] = value;
        var app = await DeepRunProcess.StartAsync(dll, ["--server", server.GrpcAddress.ToString(), "--service-name", "webshop-" + configuration.ToLowerInvariant()],
            variables);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4); // the first deep run may build the agent and profiler
        string line;
        do
        {
            line = app.ReadLine(deadline - DateTime.UtcNow);
        }
        while (!line.StartsWith(Listening, StringComparison.Ordinal));
        var session = new WebShopSession(server, app, new Uri(line[Listening.Length..].Split(' ')[0]), data);
        await session.WarmUpAsync();
        return session;
    }

    /// <summary>
    /// Serves every endpoint once before any tracepoint exists, as a service that has been running has (it also fixes
    /// what the JIT compiled before the tests, e.g. MVC's action invoker); then takes the first snapshot of the
    /// process, which JIT-compiles the agent's capture code.
    /// </summary>
    private async Task WarmUpAsync()
    {
        await GetQuoteAsync(1, 1);
        await GetOrderAsync(1, "warmup");
        var id = await Api.CreateAsync("PriceList.cs", Line("PriceList.cs", "quote-total"), new Dictionary<string, string> { ["fire_count"] = "3", ["fire_period"] = "0" });
        await DriveUntilAsync(id, () => GetQuoteAsync(1, 1), s => s.Count >= 3, TimeSpan.FromSeconds(90));
        await Api.DeleteAsync(id);
    }

    public async Task<JsonObject> GetQuoteAsync(int itemId, int quantity) => await GetJsonAsync($"/quote/{itemId}?quantity={quantity}");

    public async Task<JsonObject> GetOrderAsync(int orderId, string customer) => await GetJsonAsync($"/orders/{orderId}?customer={customer}");

    private async Task<JsonObject> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}\n{App.Tail}");
        }
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Sends requests one after another until the tracepoint's snapshots meet <paramref name="done"/>.</summary>
    public async Task<IReadOnlyList<Snapshot>> DriveUntilAsync(string tracepointId, Func<Task> drive, Func<IReadOnlyList<Snapshot>, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(45));
        IReadOnlyList<Snapshot> snapshots = [];
        while (DateTime.UtcNow < deadline)
        {
            await drive();
            snapshots = await Api.SnapshotsAsync(tracepointId);
            if (done(snapshots))
            {
                return snapshots;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the tracepoint's snapshots never met the condition ({snapshots.Count} arrived); {App.Tail}");
    }

    /// <summary>Waits (without sending requests) until the tracepoint's snapshots meet <paramref name="done"/>.</summary>
    public Task<IReadOnlyList<Snapshot>> WaitForSnapshotsAsync(string tracepointId, Func<IReadOnlyList<Snapshot>, bool> done) =>
        DriveUntilAsync(tracepointId, () => Task.CompletedTask, done, TimeSpan.FromSeconds(60));

    /// <summary>Waits (bounded, 60 s) until the app's output (stdout and stderr, the agent's log included) holds <paramref name="text"/>.</summary>
    public async Task WaitForLogAsync(string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!App.Log.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the app never said \"{text}\"; {App.Tail}");
            await Task.Delay(100);
        }
    }

    /// <summary>The tracepoint's snapshot count once it stopped changing for a second (sends are asynchronous).</summary>
    public Task<int> SettledCountAsync(string tracepointId) => Api.SettledCountAsync(tracepointId);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        await Server.DisposeAsync();
        Api.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Starts the sample once per configuration for the web tests, and stops it after them.</summary>
public class WebShopFixture : IAsyncLifetime
{
    private readonly Dictionary<string, Task<WebShopSession>> _sessions = [];

    /// <summary>Agent variables of these sessions beyond the defaults (none).</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Environment => null;

    internal Task<WebShopSession> GetAsync(string configuration)
    {
        lock (_sessions)
        {
            if (!_sessions.TryGetValue(configuration, out var session))
            {
                _sessions[configuration] = session = WebShopSession.StartAsync(configuration, Environment);
            }
            return session;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var session in _sessions.Values)
        {
            try
            {
                await (await session).DisposeAsync();
            }
            catch (Exception)
            {
                // A session that failed to start has nothing to stop.
            }
        }
    }
}

/// <summary>
/// The sample for Exception Replay's tests: its snapshots are the process's first of their kind (replay frames,
/// locals, state machines), captured while the capture code is still cold, so on a loaded machine the default 100 ms
/// capture budget could cut a value short ("time budget exceeded"); these tests check values, not the budget.
/// </summary>
public sealed class ExceptionReplayWebShopFixture : WebShopFixture
{
    protected override IReadOnlyDictionary<string, string?> Environment { get; } = new Dictionary<string, string?> { ["DEEP_MAX_TP_PROCESS_TIME"] = "5000" };
}
