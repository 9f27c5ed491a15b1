using System.Diagnostics;
using System.Globalization;
using Deep.Integration.Tests.Infrastructure;
using Deep.Server;

// End-to-end numbers for docs/benchmarks.md ("Engine end to end"). Each hit cost is measured inside the app, against
// an identical unprobed method in the same run (Bench.Probed vs Bench.Plain in the test app).
// Options: --hits-only (only the no-tracepoint and rate-limited rows, for quick repeats);
// --env NAME=VALUE (repeatable: set in the measured app's environment, e.g. DOTNET_JitStdOutFile and
// DOTNET_JitDisasmSummary=1 to see at which tier the rewritten method runs).
const int Calls = 2_000_000;
bool hitsOnly = args.Contains("--hits-only");
var appEnvironment = new Dictionary<string, string?> { ["DEEP_POLL_TIMER"] = "0.2", ["DEEP_MAX_SNAPSHOTS_PER_SECOND"] = "-1" };
for (int a = 0; a + 1 < args.Length; a++)
{
    if (args[a] == "--env" && args[a + 1].Split('=', 2) is [var name, var value]) appEnvironment[name] = value;
}
var inv = CultureInfo.InvariantCulture;
var app = await Builds.TestAppAsync("Release");
var data = Path.Combine(Path.GetTempPath(), "deep-e2e-" + Guid.NewGuid().ToString("N"));
await using var server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = data });
using var api = new DeepApi(server.HttpAddress);
var file = "tests/TestApps/Deep.TestApp/Scenarios.cs";
int probedLine = Repo.Line(file, "bench-probed");
int scaleLine = Repo.Line(file, "scale-line");

// 1. Start overhead: time to "ready" for the plain app and the app under deep run (agent + profiler), 5 runs each.
async Task<double> TimeToReadyAsync(bool underDeep)
{
    var watch = Stopwatch.StartNew();
    if (underDeep)
    {
        await using var p = await DeepRunProcess.StartAsync(app, ["--server", server.GrpcAddress.ToString()]);
        p.WaitReady();
        watch.Stop();
    }
    else
    {
        var info = new ProcessStartInfo("dotnet", [app]) { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var p = Process.Start(info)!;
        while (p.StandardOutput.ReadLine() != "ready")
        {
        }
        watch.Stop();
        p.StandardInput.Close();
        await p.WaitForExitAsync();
    }
    return watch.Elapsed.TotalMilliseconds;
}
if (!hitsOnly) await TimeToReadyAsync(true); // builds the agent/profiler if needed, and warms the disk cache
var plainStarts = new List<double>();
var deepStarts = new List<double>();
for (int i = 0; i < (hitsOnly ? 0 : 5); i++)
{
    plainStarts.Add(await TimeToReadyAsync(false));
    deepStarts.Add(await TimeToReadyAsync(true));
}

// 2. Hit costs inside one app under deep run.
await using var session = await DeepRunProcess.StartAsync(app, ["--server", server.GrpcAddress.ToString()], appEnvironment);
session.WaitReady();
string Measure() => session.Call("bench", Calls);
var rows = new List<(string What, string Result)> { ("agent loaded, no tracepoint", Measure()) };

async Task<string> WithTracepointAsync(string what, Dictionary<string, string> args, Func<int, bool> installed)
{
    var id = await api.CreateAsync("Scenarios.cs", probedLine, args);
    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
    while (!installed((await api.SnapshotsAsync(id)).Count) && DateTime.UtcNow < deadline)
    {
        session.Call("bench", 1000);
        await Task.Delay(100);
    }
    var result = Measure();
    rows.Add((what, result));
    for (int again = 1; again < (hitsOnly ? 3 : 1); again++) rows.Add((what + $" (again, {again + 1})", Measure()));
    await api.DeleteAsync(id);
    await Task.Delay(1000);
    return result;
}
// Rate-limited out: fire_count 1 is used up by the first hit; every later hit is refused by Enter.
await WithTracepointAsync("rate-limited hit (fire_count exhausted)", new() { ["fire_count"] = "1" }, n => n >= 1);
if (hitsOnly)
{
    PrintHitRows(rows, _ => Calls);
    return;
}
// Condition false: a watch on the installed probe shows up only as "no snapshot"; a sibling proves installation.
var sibling = await api.CreateAsync("Scenarios.cs", probedLine, new Dictionary<string, string> { ["fire_count"] = "1" });
await WithTracepointAsync("condition-false hit (x < 0)", new() { ["fire_count"] = "-1", ["fire_period"] = "0", ["condition"] = "x < 0" },
    _ => api.SnapshotsAsync(sibling).Result.Count >= 1);
await api.DeleteAsync(sibling);

// 3. Tracepoint created -> first snapshot (long polling), 5 times, on a line called every 20 ms.
var latencies = new List<double>();
using (var caller = new CancellationTokenSource())
{
    for (int i = 0; i < 5; i++)
    {
        var watch = Stopwatch.StartNew();
        var id = await api.CreateAsync("Scenarios.cs", scaleLine);
        while (true)
        {
            session.Call("scale", i);
            if ((await api.SnapshotsAsync(id)).Count > 0)
            {
                break;
            }
            await Task.Delay(20);
        }
        latencies.Add(watch.Elapsed.TotalMilliseconds);
        await api.DeleteAsync(id);
        await Task.Delay(500);
    }
}

// 4. A snapshot on every hit (fewer calls: each one captures and queues a snapshot).
var snapId = await api.CreateAsync("Scenarios.cs", probedLine, new Dictionary<string, string> { ["fire_count"] = "-1", ["fire_period"] = "0" });
while ((await api.SnapshotsAsync(snapId)).Count == 0)
{
    session.Call("bench", 10);
    await Task.Delay(100);
}
var snapshotResult = session.Call("bench", 2000);
await api.DeleteAsync(snapId);

static string Median(List<double> values) => values.Order().ElementAt(values.Count / 2).ToString("0", CultureInfo.InvariantCulture);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
Console.WriteLine();
PrintHitRows(rows.Append(("snapshot on every hit (2,000 calls)", snapshotResult)).ToList(),
    what => what.StartsWith("snapshot", StringComparison.Ordinal) ? 2000 : Calls);
Console.WriteLine();
Console.WriteLine($"| start to \"ready\" (median of 5) | ms |");
Console.WriteLine("|---|---:|");
Console.WriteLine($"| plain `dotnet Deep.TestApp.dll` | {Median(plainStarts)} |");
Console.WriteLine($"| under `deep run` (agent + profiler, built) | {Median(deepStarts)} |");
Console.WriteLine();
Console.WriteLine($"tracepoint created -> first snapshot: median {Median(latencies)} ms (runs: {string.Join(", ", latencies.Select(l => l.ToString("0", inv)))})");

// "unprobed" is Bench.Plain, [NoInlining] like Bench.Probed, so "added" is the probe's own cost; the last column is the
// same body left inlinable (a probed method never is inlined: COR_PRF_REJIT_BLOCK_INLINING), so "unprobed" minus it
// is what the lost inlining costs a caller of a method this small.
static void PrintHitRows(List<(string What, string Result)> rows, Func<string, long> callsOf)
{
    var inv = CultureInfo.InvariantCulture;
    Console.WriteLine("| what | probed ns/call | same method unprobed ns/call | added ns | bytes allocated per call | same body inlinable ns/call |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|");
    foreach (var (what, result) in rows)
    {
        var parts = result.Split(' ');
        double probed = double.Parse(parts[0], inv), plain = double.Parse(parts[1], inv);
        var inlinable = parts.Length > 4 ? double.Parse(parts[4], inv).ToString("0.0", inv) : "-";
        Console.WriteLine(string.Create(inv, $"| {what} | {probed:0.0} | {plain:0.0} | {probed - plain:0.0} | {double.Parse(parts[2], inv) / callsOf(what):0.##} | {inlinable} |"));
    }
}
