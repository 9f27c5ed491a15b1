using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Deep.Bench;
using Deep.Integration.Tests.Infrastructure;
using Deep.Server;

// Cost of Exception Replay, for docs/benchmarks.md ("Exception Replay"). The program App/ runs under `deep run` (the
// agent and the profiler; a server of its own per run) with DEEP_EXCEPTION_REPLAY=true and =false,
// alternately (the order flips every round), so the load of a shared machine falls on both alike. Each workload
// reports its median; the table shows the median over rounds and the ratio on/off.
// Options: --rounds N (default 5), --scale N (operations of the suite, default 20000), --cycles N (hooked, default 8),
// --flood-seconds N (default 10), --flood-rate N (escapes per second, default 1000), --flood-warmup N (seconds of
// flood before the measured one, default 0: with it the flood shows the steady cost), --only suite,hooked,flood,
// --analyses N (the budget of analyses a second: -1 shows what each analysis costs).
var inv = CultureInfo.InvariantCulture;
int rounds = Option("--rounds", 5), scale = Option("--scale", 20_000), cycles = Option("--cycles", 8);
int floodSeconds = Option("--flood-seconds", 10), floodRate = Option("--flood-rate", 1000), floodWarmup = Option("--flood-warmup", 0);
// DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND (only replay on reads it; the agent's default of 100 when not given, -1 no limit).
int analyses = Option("--analyses", int.MinValue);
int onlyAt = Array.IndexOf(args, "--only");
var workloads = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1].Split(',') : ["suite", "hooked", "flood"];

var appDir = Path.Combine(Path.GetTempPath(), "deep-replay-bench-app");
await Exec.CheckedAsync("dotnet", "build", Repo.Path("bench/Deep.ExceptionReplay/App/Deep.ExceptionReplay.App.csproj"), "-c", "Release", "-o", appDir, "-nologo", "-v", "q", "-clp:ErrorsOnly");
var app = Path.Combine(appDir, "Deep.ExceptionReplay.App.dll");
if (File.Exists(Path.Combine(appDir, "Deep.ExceptionReplay.Host.pdb"))) throw new InvalidOperationException("the host library must have no .pdb (it stands for framework code)");

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {BenchMachine.CpuModel()}, .NET {Environment.Version}; load before: {BenchMachine.LoadAverage()}");
Console.WriteLine($"rounds {rounds}, suite scale {scale}, hooked cycles {cycles}, flood {floodSeconds} s at {floodRate}/s after {floodWarmup} s; analyses a second {(analyses == int.MinValue ? "default" : analyses.ToString(inv))}; workloads {string.Join(',', workloads)}");

var results = new Dictionary<(string Metric, bool On), List<double>>();
var loads = new List<string>();
for (int round = 0; round < rounds; round++)
{
    loads.Add(BenchMachine.LoadAverage());
    foreach (var on in round % 2 == 0 ? new[] { false, true } : [true, false])
    {
        foreach (var workload in workloads)
        {
            string[] command = workload switch
            {
                "suite" => ["suite", scale.ToString(inv)],
                "hooked" => ["hooked", cycles.ToString(inv)],
                "flood" => ["flood", floodSeconds.ToString(inv), floodRate.ToString(inv), floodWarmup.ToString(inv)],
                _ => throw new ArgumentException("unknown workload " + workload),
            };
            // A server of its own for each program, so its replay snapshots are counted alone.
            await using var server = await StartServerAsync();
            var env = new Dictionary<string, string> { ["DEEP_EXCEPTION_REPLAY"] = on ? "true" : "false" };
            if (workload == "hooked") env["DEEP_EXCEPTION_REPLAY_INTERVAL"] = "3";
            if (analyses != int.MinValue) env["DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND"] = analyses.ToString(inv);
            var run = await RunAsync(server, env, command);
            long sent = await ReplaySnapshotsAsync(server);
            run[workload + "_snapshots"] = sent;
            if (workload == "flood") run["flood_snapshots_per_s"] = sent / (run["flood_wall_s"] + floodWarmup); // the server saw both floods
            foreach (var (metric, value) in run)
            {
                if (!results.TryGetValue((metric, on), out var list)) results[(metric, on)] = list = [];
                list.Add(value);
            }
            Console.WriteLine($"round {round + 1} replay {(on ? "on " : "off")} {workload}: " + string.Join(", ", run.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:0.###}"))));
        }
    }
}
loads.Add(BenchMachine.LoadAverage());

Console.WriteLine();
Console.WriteLine($"load average (1/5/15 min) at each round's start and at the end: {string.Join(" | ", loads)}");
Console.WriteLine();
Console.WriteLine("| measure | replay off | replay on | on / off | per round off | per round on |");
Console.WriteLine("|---|---:|---:|---:|---|---|");
foreach (var metric in results.Keys.Select(k => k.Metric).Distinct())
{
    var off = results.GetValueOrDefault((metric, false)) ?? [];
    var onValues = results.GetValueOrDefault((metric, true)) ?? [];
    double mOff = Median(off), mOn = Median(onValues);
    string ratio = mOff > 0 && onValues.Count > 0 ? (mOn / mOff).ToString("0.00", inv) : "-";
    Console.WriteLine($"| {metric} | {Num(mOff)} | {Num(mOn)} | {ratio} | {string.Join(", ", off.Select(Num))} | {string.Join(", ", onValues.Select(Num))} |");
}
return 0;

// The program under `deep run` (the agent and the profiler), against the given server.
async Task<Dictionary<string, double>> RunAsync(DeepServer server, Dictionary<string, string> env, string[] command)
{
    var info = new ProcessStartInfo(Repo.Path("deep")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var argument in (string[])["run", "--server", server.GrpcAddress.ToString(), "--", "dotnet", app, .. command]) info.ArgumentList.Add(argument);
    // Only what this mode gives the program: nothing of this harness's own agent variables.
    foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("DEEP_", StringComparison.Ordinal) || k.StartsWith("CORECLR_", StringComparison.Ordinal) || k == "DOTNET_STARTUP_HOOKS").ToList())
        info.Environment.Remove(name);
    foreach (var (name, value) in env) info.Environment[name] = value;
    using var process = Process.Start(info)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
    await process.WaitForExitAsync(timeout.Token);
    var output = await stdout;
    var errors = await stderr;
    if (process.ExitCode != 0) throw new InvalidOperationException($"the program failed ({process.ExitCode}): {output}{errors}");
    var values = new Dictionary<string, double>();
    foreach (var line in output.Split('\n'))
    {
        if (line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["result", var name, var value])
            values[name] = double.Parse(value, inv);
    }
    if (values.Count == 0) throw new InvalidOperationException("no results: " + output + errors);
    return values;
}

// Replay snapshots the server holds (the sum over fingerprints), once the count is stable for a second.
static async Task<long> ReplaySnapshotsAsync(DeepServer server)
{
    using var http = new HttpClient { BaseAddress = server.HttpAddress };
    long last = -1;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < TimeSpan.FromSeconds(30))
    {
        var json = JsonNode.Parse(await http.GetStringAsync(new Uri("/api/exceptions?limit=1000", UriKind.Relative)))!;
        long count = json["exceptions"]!.AsArray().Sum(e => e!["snapshots"]!.GetValue<long>());
        if (count == last) return count;
        last = count;
        await Task.Delay(1000);
    }
    return last;
}

static Task<DeepServer> StartServerAsync() => DeepServer.StartAsync(new DeepServerOptions
{
    GrpcPort = 0,
    HttpPort = 0,
    DataDirectory = Path.Combine(Path.GetTempPath(), "deep-replay-bench-" + Guid.NewGuid().ToString("N")),
});

string Num(double v) => double.IsNaN(v) ? "-" : v.ToString(Math.Abs(v) >= 100 ? "0" : "0.##", inv);

static double Median(List<double> values)
{
    if (values.Count == 0) return double.NaN;
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

int Option(string name, int fallback) => BenchMachine.Option(args, name, fallback);
