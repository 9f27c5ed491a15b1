using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Deep.Integration.Tests.Infrastructure;
using Deep.Server;

// The ASP.NET Core sample under load (wrk), in five modes measured in one run, as ratios to the plain run:
//   plain     the sample without the agent (`dotnet WebShop.dll`)
//   idle      under `deep run`, no tracepoint
//   snapshot  a snapshot tracepoint in the async handler at the default rate (fire_period 1000 ms: one a second)
//   cond      a tracepoint there whose condition is false on every request
//   log       a log point there that writes a line on every request (snapshot=no_collect)
// Modes are interleaved (plain, idle, snapshot, cond, log, then again) and each reports the median of its rounds, so
// noise on a shared machine falls on every mode alike. The plain and the agent process each live for the whole run.
// Options: --rounds N (3), --duration S (10), --warmup S (3), --connections C (16), --threads T (1),
// --modes a,b,.. (all), --out FILE (also write the table there), --keep-logs (print where the apps' output went),
// --compare-agent DIR: a before/after measurement of an agent change in the same run; a third process loads the
// agent built in DIR (a copy of .deep/agent made before the change) with the same profiler, and the modes
// idle@before, snapshot@before, cond@before, log@before run against it.
var options = Options.Parse(args);
var inv = CultureInfo.InvariantCulture;
var file = "samples/WebShop/QuoteEndpoints.cs";
int line = Repo.Line(file, "quote-after-await");
const string Url = "/quote/42?quantity=3";

var app = await Builds.WebShopAsync("Release");
var deep = await Builds.DeepAsync();
var data = Path.Combine(Path.GetTempPath(), "deep-webload-" + Guid.NewGuid().ToString("N"));
await using var server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = data });
using var api = new DeepApi(server.HttpAddress);
var loadBefore = File.ReadAllText("/proc/loadavg").Trim();

await using var plain = await Service.StartAsync("plain", "dotnet", [app], []);
await using var agent = await Service.StartAsync("agent", deep, ["run", "--server", server.GrpcAddress.ToString(), "--service-name", "webload", "--", "dotnet", app],
    new() { ["DEEP_ROOT"] = Repo.Root, ["DEEP_POLL_TIMER"] = "0.5" });
await using var before = options.CompareAgent is { } agentDir
    ? await Service.StartAsync("before", "dotnet", [app], new()
    {
        ["DOTNET_STARTUP_HOOKS"] = Path.Combine(Path.GetFullPath(agentDir), "Deep.Agent.dll"),
        ["CORECLR_ENABLE_PROFILING"] = "1",
        ["CORECLR_PROFILER"] = "{8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57}", // docs/settings.md
        ["CORECLR_PROFILER_PATH"] = Repo.Path(".deep", "profiler", "Deep.Profiler.so"),
        ["DEEP_SERVICE_URL"] = server.GrpcAddress.ToString(),
        ["DEEP_SERVICE_NAME"] = "webload-before",
        ["DEEP_POLL_TIMER"] = "0.5",
    })
    : null;
foreach (var service in new[] { plain, agent, before }.OfType<Service>())
{
    await Wrk.RunAsync(service.Address + Url, 5, options); // JIT, tiering, connection pools
}

// What each mode installs at the handler's line; null: no tracepoint.
var modes = new List<(string Name, string What, Dictionary<string, string>? Args)>
{
    ("plain", "without the agent", null),
    ("idle", "agent, no tracepoint", null),
    ("snapshot", "snapshot tracepoint, default rate (1/s)", new() { ["fire_count"] = "-1" }),
    ("cond", "condition false on every request", new() { ["fire_count"] = "-1", ["fire_period"] = "0", ["condition"] = "quantity < 0" }),
    ("log", "log line on every request", new() { ["fire_count"] = "-1", ["fire_period"] = "0", ["snapshot"] = "no_collect", ["log_msg"] = "quote {itemId} x{quantity}: {quote.Total}" }),
};
if (before is not null)
{
    modes.AddRange(modes.Where(m => m.Name != "plain").Select(m => (m.Name + "@before", m.What + ", agent before the change", m.Args)).ToList());
}
modes = modes.Where(m => options.Modes is null || options.Modes.Contains(m.Name)).ToList();
var results = modes.ToDictionary(m => m.Name, _ => new List<WrkResult>());
for (int round = 1; round <= options.Rounds; round++)
{
    foreach (var (name, _, tracepointArgs) in modes)
    {
        var service = name == "plain" ? plain : name.EndsWith("@before", StringComparison.Ordinal) ? before! : agent;
        var target = service.Address + Url;
        string? id = null;
        if (tracepointArgs is not null)
        {
            id = await InstallAsync(tracepointArgs, target);
        }
        // The log modes leave tens of megabytes of output in the page cache; write it back now, or the kernel does it
        // during the next mode's measurement (it made the plain run after a log mode ~30% slower here).
        await Exec.CheckedAsync("sync");
        await Wrk.RunAsync(target, options.Warmup, options);
        var cpuBefore = service.CpuTime();
        var result = await Wrk.RunAsync(target, options.Duration, options);
        result = result with { CpuMicrosPerRequest = (service.CpuTime() - cpuBefore).TotalMicroseconds / Math.Max(result.Requests, 1) };
        results[name].Add(result);
        Console.Error.WriteLine(string.Create(inv, $"round {round} {name}: {result.RequestsPerSecond:0} req/s, p50 {result.P50Ms:0.000} ms, p99 {result.P99Ms:0.000} ms, {result.CpuMicrosPerRequest:0.0} us CPU/request, errors {result.Errors}"));
        if (id is not null)
        {
            await api.DeleteAsync(id);
            await Task.Delay(2000); // two polls: the next mode starts without it
        }
    }
}
var loadAfter = File.ReadAllText("/proc/loadavg").Trim();

var table = new StringBuilder();
table.AppendLine(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; load average before {loadBefore}, after {loadAfter}");
table.AppendLine(CultureInfo.InvariantCulture, $"wrk -t{options.Threads} -c{options.Connections} -d{options.Duration}s --latency (after a {options.Warmup} s warm-up) on GET {Url}; median of {options.Rounds} interleaved rounds");
table.AppendLine();
table.AppendLine("| mode | req/s | p50 ms | p99 ms | CPU µs/req | req/s vs plain | p50 vs plain | p99 vs plain | CPU/req vs plain | req/s per round |");
table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
var baseline = results.TryGetValue("plain", out var p) ? Median(p) : null;
foreach (var (name, what, _) in modes)
{
    var m = Median(results[name]);
    string Ratio(double value, double? plainValue) => plainValue is { } b && b > 0 ? (value / b).ToString("0.00", inv) : "-";
    var perRound = string.Join(", ", results[name].Select(r => r.RequestsPerSecond.ToString("0", inv)));
    var errors = results[name].Sum(r => r.Errors);
    table.AppendLine(string.Create(inv, $"| {name}: {what} | {m.RequestsPerSecond:0} | {m.P50Ms:0.000} | {m.P99Ms:0.000} | {m.CpuMicrosPerRequest:0.0} | {Ratio(m.RequestsPerSecond, baseline?.RequestsPerSecond)} | {Ratio(m.P50Ms, baseline?.P50Ms)} | {Ratio(m.P99Ms, baseline?.P99Ms)} | {Ratio(m.CpuMicrosPerRequest, baseline?.CpuMicrosPerRequest)} | {perRound}{(errors > 0 ? $" ({errors} errors)" : "")} |"));
}
Console.WriteLine(table);
if (options.Out is { } outFile) File.WriteAllText(outFile, table.ToString());
if (options.KeepLogs) Console.Error.WriteLine($"app output: {plain.LogFile}, {agent.LogFile} {before?.LogFile}");
else
{
    plain.DeleteLog();
    agent.DeleteLog();
    before?.DeleteLog();
}
try
{
    Directory.Delete(data, recursive: true);
}
catch (IOException)
{
}

// Creates the tracepoint and waits until the probe is in the handler. A tracepoint that never snapshots (a false
// condition, a log point) gets a sibling at the same line that snapshots once: the probe serves both.
async Task<string> InstallAsync(Dictionary<string, string> tracepointArgs, string target)
{
    var collects = tracepointArgs.GetValueOrDefault("snapshot") != "no_collect" && !tracepointArgs.ContainsKey("condition");
    var id = await api.CreateAsync(file, line, tracepointArgs);
    var probe = collects ? id : await api.CreateAsync(file, line, new Dictionary<string, string> { ["fire_count"] = "1" });
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
    while ((await api.SnapshotsAsync(probe)).Count == 0)
    {
        if (DateTime.UtcNow > deadline) throw new TimeoutException($"the tracepoint never fired at {target}; see {agent.LogFile}");
        (await http.GetAsync(target)).EnsureSuccessStatusCode();
        await Task.Delay(100);
    }
    if (probe != id)
    {
        await api.DeleteAsync(probe);
        await Task.Delay(2000);
    }
    return id;
}

static WrkResult Median(List<WrkResult> results)
{
    static double Mid(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
    return new WrkResult(Mid(results.Select(r => r.RequestsPerSecond)), Mid(results.Select(r => r.P50Ms)), Mid(results.Select(r => r.P99Ms)), 0, 0)
    {
        CpuMicrosPerRequest = Mid(results.Select(r => r.CpuMicrosPerRequest)),
    };
}

internal sealed record Options(int Rounds, int Duration, int Warmup, int Connections, int Threads, HashSet<string>? Modes, string? Out, bool KeepLogs, string? CompareAgent)
{
    public static Options Parse(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Options(Int("--rounds", 3), Int("--duration", 10), Int("--warmup", 3), Int("--connections", 16), Int("--threads", 1),
            Get("--modes")?.Split(',').ToHashSet(), Get("--out"), args.Contains("--keep-logs"), Get("--compare-agent"));
    }
}

internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, long Requests)
{
    /// <summary>CPU time (user + system) of the service's process per request: steadier than req/s on a busy machine.</summary>
    public double CpuMicrosPerRequest { get; init; }
}

internal static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string url, int seconds, Options options)
    {
        var output = await Exec.CheckedAsync("wrk", $"-t{options.Threads}", $"-c{options.Connections}", $"-d{seconds}s", "--latency", url);
        double rps = double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        long errors = NonSuccess().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        foreach (Match e in SocketErrors().Matches(output))
        {
            errors += long.Parse(e.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        long requests = long.Parse(RequestCount().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        return new WrkResult(rps, Percentile(output, "50"), Percentile(output, "99"), errors, requests);
    }

    // wrk --latency prints e.g. "     99%    3.52ms" with us, ms or s.
    private static double Percentile(string output, string percent)
    {
        var m = Regex.Match(output, $@"^\s*{percent}(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!m.Success) throw new InvalidOperationException("no " + percent + "% latency in wrk's output:\n" + output);
        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestCount();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)")]
    private static partial Regex SocketErrors();
}

/// <summary>The sample running in the background, its output going to a file (a console that nobody reads would block).</summary>
internal sealed class Service : IAsyncDisposable
{
    private const string Listening = "webshop: listening on ";
    private readonly Process _process;

    private Service(Process process, string logFile, string address)
    {
        _process = process;
        LogFile = logFile;
        Address = address;
    }

    public string LogFile { get; }

    public string Address { get; }

    public static async Task<Service> StartAsync(string name, string command, string[] arguments, Dictionary<string, string> environment)
    {
        var log = Path.Combine(Path.GetTempPath(), $"deep-webload-{name}-{Environment.ProcessId}.log");
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true, WorkingDirectory = Repo.Root };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" >\"$LOG\" 2>&1");
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add(command);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["LOG"] = log;
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["ExitOnStdinEof"] = "true";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4); // deep run may build the agent and profiler first
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            var text = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
            var at = text.IndexOf(Listening, StringComparison.Ordinal);
            if (at >= 0 && text.IndexOf('\n', at) is var end and > 0)
            {
                return new Service(process, log, text[(at + Listening.Length)..end].Split(' ')[0].Trim());
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"{name} never listened; see {log}");
    }

    public void DeleteLog() => File.Delete(LogFile);

    /// <summary>User + system CPU time of the sample's own process (under `deep run`, the child running the app).</summary>
    public TimeSpan CpuTime()
    {
        _appPid ??= FindApp(_process.Id);
        // /proc/<pid>/stat: the fields after the ")" that ends the command name; utime and stime are the 14th and 15th.
        var stat = File.ReadAllText($"/proc/{_appPid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
    }

    private int? _appPid;

    private static int FindApp(int pid)
    {
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var candidate))
        {
            var commandLine = File.ReadAllText($"/proc/{candidate}/cmdline").Split('\0');
            if (commandLine.Any(a => a.EndsWith("WebShop.dll", StringComparison.Ordinal)) && !commandLine.Any(a => a.EndsWith("deep.dll", StringComparison.Ordinal)))
            {
                return candidate;
            }
            foreach (var child in ChildrenOf(candidate))
            {
                queue.Enqueue(child);
            }
        }
        throw new InvalidOperationException($"no WebShop process under {pid}");
    }

    private static IEnumerable<int> ChildrenOf(int pid)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            var children = Path.Combine(task, "children");
            if (!File.Exists(children)) continue;
            foreach (var child in File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return int.Parse(child, CultureInfo.InvariantCulture);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close(); // the sample stops when its standard input closes
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
