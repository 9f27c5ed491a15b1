using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Deep.Bench;
using Deep.Integration.Tests.Infrastructure;
using Deep.Server;

// Start-up cost of the agent, for docs/benchmarks.md ("Start-up"). A short program (App/) is started plain and with
// the variables `deep run` gives it, interleaved, and reports when Main began (CLOCK_MONOTONIC through Stopwatch, the
// same clock this harness read just before starting it) and its peak resident set; this harness times the whole
// process and, with GNU time when present, its CPU time and peak resident set over its whole life (wait4's rusage;
// GNU time prints CPU seconds with two decimals, so CPU times are in steps of 10 ms). On a loaded machine the CPU time
// is the steadier number: wall times there are mostly waiting for a core.
// Options: --runs N (per mode, default 20), --probe-runs N (time to the first tracepoint hit, default 10; 0 skips),
// --compare-agent PATH (another build of Deep.Agent.dll, e.g. of the previous commit, measured in the same rounds).
var inv = CultureInfo.InvariantCulture;
int runs = Option("--runs", 20);
int probeRuns = Option("--probe-runs", 10);

// 1. The program, and the variables deep run gives it (read back from the program itself, started by deep run).
var appDir = Path.Combine(Path.GetTempPath(), "deep-startup-app");
await Exec.CheckedAsync("dotnet", "build", Repo.Path("bench/Deep.Startup/App/Deep.Startup.App.csproj"), "-c", "Release", "-o", appDir, "-nologo", "-v", "q", "-clp:ErrorsOnly");
var app = Path.Combine(appDir, "Deep.Startup.App.dll");
var data = Path.Combine(Path.GetTempPath(), "deep-startup-" + Guid.NewGuid().ToString("N"));
await using var server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = data });
var deepEnv = await DeepRunEnvironmentAsync();
string hook = deepEnv["DOTNET_STARTUP_HOOKS"];
string closedUrl = $"http://127.0.0.1:{ClosedPort()}";
var profilerVars = deepEnv.Where(kv => kv.Key.StartsWith("CORECLR_", StringComparison.Ordinal)).ToDictionary();
var timeTool = File.Exists("/usr/bin/time") ? "/usr/bin/time" : null;
int compareAt = Array.IndexOf(args, "--compare-agent");
string? compareHook = compareAt >= 0 && compareAt + 1 < args.Length ? Path.GetFullPath(args[compareAt + 1]) : null;

var modes = new List<(string Name, Dictionary<string, string> Env)>
{
    ("plain", []),
    ("agent, server up (deep run)", With(profilerVars, ("DOTNET_STARTUP_HOOKS", hook), ("DEEP_SERVICE_URL", server.GrpcAddress.ToString()))),
    ("agent, server down", With(profilerVars, ("DOTNET_STARTUP_HOOKS", hook), ("DEEP_SERVICE_URL", closedUrl))),
    ("startup hook only, server up", With([], ("DOTNET_STARTUP_HOOKS", hook), ("DEEP_SERVICE_URL", server.GrpcAddress.ToString()))),
    ("profiler only", With(profilerVars)),
};
if (compareHook is not null)
    modes.Add(("compared agent, server up", With(profilerVars, ("DOTNET_STARTUP_HOOKS", compareHook), ("DEEP_SERVICE_URL", server.GrpcAddress.ToString()))));

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {BenchMachine.CpuModel()}, .NET {Environment.Version}; load before: {BenchMachine.LoadAverage()}");
if (compareHook is not null) Console.WriteLine($"compared agent: {compareHook}");
Console.WriteLine($"agent: {hook}; profiler: {profilerVars.GetValueOrDefault("CORECLR_PROFILER_PATH")}");

// 2. Interleaved runs: one of each mode per round, after two rounds that warm the disk cache.
var results = modes.ToDictionary(m => m.Name, _ => new List<Run>());
for (int round = -2; round < runs; round++)
{
    foreach (var (name, env) in modes)
    {
        var run = await RunOnceAsync(env);
        if (round >= 0) results[name].Add(run);
    }
}

var plain = results["plain"];
double plainMain = Median(plain.Select(r => r.MainMs)), plainWall = Median(plain.Select(r => r.WallMs));
double plainHwm = Median(plain.Select(r => r.HwmMb)), plainRss = Median(plain.Select(r => r.MaxRssMb));
double plainCpu = Median(plain.Select(r => r.CpuMs));
Console.WriteLine();
Console.WriteLine($"{runs} runs per mode; medians (interquartile range), deltas are medians over plain's medians");
Console.WriteLine();
Console.WriteLine("| mode | Main starts | Δ | whole process | Δ | CPU time | Δ | VmHWM at Main's end | Δ | peak RSS (whole life) | Δ |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var (name, _) in modes)
{
    var r = results[name];
    Console.WriteLine($"| {name} | {Cell(r.Select(x => x.MainMs), "ms")} | {Delta(r.Select(x => x.MainMs), plainMain, "ms")} " +
        $"| {Cell(r.Select(x => x.WallMs), "ms")} | {Delta(r.Select(x => x.WallMs), plainWall, "ms")} " +
        $"| {Cell(r.Select(x => x.CpuMs), "ms")} | {Delta(r.Select(x => x.CpuMs), plainCpu, "ms")} " +
        $"| {Cell(r.Select(x => x.HwmMb), "MB")} | {Delta(r.Select(x => x.HwmMb), plainHwm, "MB")} " +
        $"| {Cell(r.Select(x => x.MaxRssMb), "MB")} | {Delta(r.Select(x => x.MaxRssMb), plainRss, "MB")} |");
}

// 3. Time to the first tracepoint hit: a tracepoint is on the server before the program starts; the program calls
// the probed line every millisecond and the first "[deep]" log line on its stdout marks the installed probe firing.
if (probeRuns > 0)
{
    using var api = new DeepApi(server.HttpAddress);
    int line = Repo.Line("bench/Deep.Startup/App/StartupWork.cs", "startup-probe");
    var id = await api.CreateAsync("StartupWork.cs", line, new Dictionary<string, string> { ["log_msg"] = "hit {i}", ["fire_count"] = "1" });
    var probed = modes.Where(m => m.Name.Contains("server up", StringComparison.Ordinal) && m.Env.ContainsKey("CORECLR_PROFILER_PATH")).ToList();
    var firstHits = probed.ToDictionary(m => m.Name, _ => new List<(double FromSpawn, double FromMain, double Exit)>());
    for (int i = -1; i < probeRuns; i++)
    {
        foreach (var (name, env) in probed)
        {
            var hit = await FirstHitAsync(env);
            if (i >= 0) firstHits[name].Add(hit);
        }
    }
    await api.DeleteAsync(id);
    Console.WriteLine();
    foreach (var (name, hits) in firstHits)
    {
        Console.WriteLine($"first tracepoint hit, {name}, {probeRuns} runs: from spawn {Cell(hits.Select(h => h.FromSpawn), "ms")}, " +
            $"from Main {Cell(hits.Select(h => h.FromMain), "ms")}; exit after the hit (its snapshot may still be queued) {Cell(hits.Select(h => h.Exit), "ms")}");
    }
}
Console.WriteLine($"load after: {BenchMachine.LoadAverage()}");
return 0;

async Task<Run> RunOnceAsync(Dictionary<string, string> env)
{
    var info = Start(env, timeTool is null ? ["dotnet", app] : [timeTool, "-f", "maxrss %M\ncpu %U %S", "dotnet", app]);
    long spawned = Stopwatch.GetTimestamp();
    using var process = Process.Start(info)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    long exited = Stopwatch.GetTimestamp();
    var output = await stdout;
    var errors = await stderr;
    if (process.ExitCode != 0) throw new InvalidOperationException($"the program failed ({process.ExitCode}): {output}{errors}");
    long main = Field(output, "main") ?? throw new InvalidOperationException("no main line: " + output + errors);
    long hwm = Field(output, "hwm") ?? -1;
    long rss = Field(errors, "maxrss") ?? -1;
    return new Run(Ms(main - spawned), Ms(exited - spawned), CpuMs(errors), hwm / 1024.0, rss / 1024.0);
}

// Also times the exit that follows the hit: from closing the program's stdin to its end, while the hit's snapshot
// may still be on its way to the server (the agent's ProcessExit flush).
async Task<(double FromSpawn, double FromMain, double Exit)> FirstHitAsync(Dictionary<string, string> env)
{
    var info = Start(env, ["dotnet", app, "--probe"]);
    info.RedirectStandardInput = true;
    long main = 0, hit = 0;
    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    long spawned = Stopwatch.GetTimestamp();
    using var process = Process.Start(info)!;
    process.OutputDataReceived += (_, e) =>
    {
        long now = Stopwatch.GetTimestamp();
        if (e.Data is null) return;
        if (Field(e.Data, "main") is { } m) main = m;
        if (e.Data.StartsWith("[deep] hit", StringComparison.Ordinal) && hit == 0)
        {
            hit = now;
            done.TrySetResult();
        }
    };
    process.ErrorDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    if (await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(60))) != done.Task)
    {
        process.Kill();
        throw new TimeoutException("the tracepoint did not fire within 60 s");
    }
    long closing = Stopwatch.GetTimestamp();
    process.StandardInput.Close();
    await process.WaitForExitAsync();
    return (Ms(hit - spawned), Ms(hit - main), Ms(Stopwatch.GetTimestamp() - closing));
}

ProcessStartInfo Start(Dictionary<string, string> env, string[] command)
{
    var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);
    // Nothing of this harness's own environment may reach the program: only what the mode gives it.
    foreach (var name in new[] { "DOTNET_STARTUP_HOOKS", "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH" })
        info.Environment.Remove(name);
    foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("DEEP_", StringComparison.Ordinal)).ToList())
        info.Environment.Remove(name);
    foreach (var (name, value) in env) info.Environment[name] = value;
    return info;
}

async Task<Dictionary<string, string>> DeepRunEnvironmentAsync()
{
    var deep = Repo.Path("deep");
    var (code, output) = await Exec.RunAsync(deep, ["run", "--server", server.GrpcAddress.ToString(), "--", "dotnet", app, "--env"], timeout: TimeSpan.FromMinutes(10));
    if (code != 0) throw new InvalidOperationException("deep run failed: " + output);
    var env = new Dictionary<string, string>();
    foreach (var line in output.Split('\n'))
    {
        if (line.Split('=', 2) is [var name, var value] && (name.StartsWith("DOTNET_", StringComparison.Ordinal) || name.StartsWith("CORECLR_", StringComparison.Ordinal)))
            env[name] = value.Trim();
    }
    if (!env.ContainsKey("DOTNET_STARTUP_HOOKS") || !env.ContainsKey("CORECLR_PROFILER_PATH")) throw new InvalidOperationException("deep run gave no agent variables: " + output);
    return env;
}

static Dictionary<string, string> With(Dictionary<string, string> baseVars, params (string Name, string Value)[] more)
{
    var env = new Dictionary<string, string>(baseVars);
    foreach (var (name, value) in more) env[name] = value;
    return env;
}

static long? Field(string text, string name)
{
    foreach (var line in text.Split('\n'))
    {
        if (line.StartsWith(name + " ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(name.Length + 1).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            return v;
    }
    return null;
}

// "cpu <user s> <system s>" from GNU time; -1 without it.
static double CpuMs(string text)
{
    foreach (var line in text.Split('\n'))
    {
        if (line.StartsWith("cpu ", StringComparison.Ordinal) && line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var user, var system]
            && double.TryParse(user, NumberStyles.Float, CultureInfo.InvariantCulture, out var u) && double.TryParse(system, NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
            return (u + s) * 1000;
    }
    return -1;
}

static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

static double Median(IEnumerable<double> values) => Quantile(values, 0.5);

static double Quantile(IEnumerable<double> values, double q)
{
    var sorted = values.Order().ToArray();
    if (sorted.Length == 0) return double.NaN;
    double pos = q * (sorted.Length - 1);
    int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

string Cell(IEnumerable<double> values, string unit)
{
    var list = values.ToList();
    if (list.Any(v => v < 0)) return "n/a";
    return string.Format(inv, "{0:0.0} {1} ({2:0.0}–{3:0.0})", Median(list), unit, Quantile(list, 0.25), Quantile(list, 0.75));
}

string Delta(IEnumerable<double> values, double plainMedian, string unit)
{
    var list = values.ToList();
    if (list.Any(v => v < 0) || plainMedian < 0) return "n/a";
    return string.Format(inv, "{0:+0.0;-0.0;0.0} {1}", Median(list) - plainMedian, unit);
}

static int ClosedPort()
{
    var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    int port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}

int Option(string name, int fallback) => BenchMachine.Option(args, name, fallback);

internal sealed record Run(double MainMs, double WallMs, double CpuMs, double HwmMb, double MaxRssMb);
