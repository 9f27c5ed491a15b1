using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Deep.Cli.Common;
using Deep.Cli.Run;
using Deep.Cli.Snapshots;
using Deep.Server;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Cli.Demo;

/// <summary>
/// <c>deep demo</c>: builds what it needs, starts the embedded server on free ports, runs <c>samples/Shop</c> under the
/// agent and profiler, creates tracepoints that show the range (snapshot with watches, conditional snapshot, log
/// point, metric, method capture with a span, the exception leaving a method, a line capture of a throw), prints what
/// arrives, and stops everything it started.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(Func<ICliConsole> console)
    {
        var keepRunning = new Option<bool>("--keep-running") { Description = "Leave the server and the app running for exploring (until Ctrl-C)" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the tracepoints to fire", DefaultValueFactory = _ => 90 };
        var command = new Command("demo", "Show the system working end to end: server, an instrumented app, tracepoints, snapshots.")
        {
            keepRunning, timeout,
        };
        command.SetAction((parse, ct) => RunAsync(console(), parse.GetValue(keepRunning), TimeSpan.FromSeconds(Math.Max(10, parse.GetValue(timeout))), ct));
        return command;
    }

    /// <summary>
    /// The tracepoints the demo creates: what each shows, its body for <c>POST /api/tracepoints</c>, and what the summary
    /// counts for it (its snapshots, or null when its effect shows in the app's output: log lines, metrics).
    /// </summary>
    private static readonly (string Title, string Json, string? Counted)[] Tracepoints =
    [
        ("snapshot with watches at OrderService.cs:16",
            """{"path":"OrderService.cs","lineNumber":16,"args":{"fire_count":"2","fire_period":"2000"},"watches":["order.Customer.Name","subtotal - discount","order.Lines.Count"]}""",
            "snapshots with watches"),
        ("conditional snapshot at OrderService.cs:22 when total > 300",
            """{"path":"OrderService.cs","lineNumber":22,"args":{"condition":"total > 300","fire_count":"1"}}""",
            "conditional snapshots (total > 300)"),
        ("log point in the loop at OrderService.cs:13",
            """{"path":"OrderService.cs","lineNumber":13,"args":{"snapshot":"no_collect","log_msg":"adding {line.Quantity} x {line.Sku} at {line.UnitPrice}","fire_count":"4","fire_period":"0"}}""",
            null),
        ("metric shop_order_total (histogram of total, by tier) at OrderService.cs:23",
            """{"path":"OrderService.cs","lineNumber":23,"args":{"snapshot":"no_collect","fire_count":"-1","fire_period":"0"},"metrics":[{"name":"order_total","namespace":"shop","type":"HISTOGRAM","expression":"total","labelExpressions":[{"key":"tier","expression":"order.Customer.Tier"}]}]}""",
            null),
        ("method capture of PlaceOrder (return value, duration) in a span, when it returns (exception == null)",
            """{"path":"OrderService.cs","args":{"method_name":"PlaceOrder","stage":"method_capture","span":"method","condition":"exception == null","fire_count":"2","fire_period":"1000"}}""",
            "method captures of PlaceOrder"),
        ("method capture of PlaceOrder when an exception leaves it (exception != null)",
            """{"path":"OrderService.cs","args":{"method_name":"PlaceOrder","stage":"method_capture","condition":"exception != null","fire_count":"1"}}""",
            "exceptions leaving PlaceOrder"),
        ("line capture at OrderService.cs:20: the exception thrown on that line, with the variables of its frame",
            """{"path":"OrderService.cs","lineNumber":20,"args":{"stage":"line_capture","fire_count":"1"}}""",
            "exceptions thrown at OrderService.cs:20"),
    ];

    private static async Task<int> RunAsync(ICliConsole console, bool keepRunning, TimeSpan timeout, CancellationToken cancellation)
    {
        var o = console.Out;
        var root = RepositoryRoot.Find();
        var dataDir = Path.Combine(Path.GetTempPath(), "deep-demo-" + Environment.ProcessId);

        await Step(o, 1, "building the agent, the profiler and the sample app (first time: about a minute)").ConfigureAwait(false);
        var artifacts = await Artifacts.EnsureBuiltAsync(root, o, cancellation).ConfigureAwait(false);
        var shopDll = await BuildSampleAsync(root, o, cancellation).ConfigureAwait(false);

        await Step(o, 2, "starting the embedded DEEP server on free ports").ConfigureAwait(false);
        await using var server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = dataDir }, null, cancellation).ConfigureAwait(false);
        await o.WriteLineAsync($"      gRPC (agents) {server.GrpcAddress}   HTTP API {server.HttpAddress}   data {dataDir}").ConfigureAwait(false);
        await o.WriteLineAsync($"      web UI: {server.HttpAddress}").ConfigureAwait(false);

        await Step(o, 3, "starting samples/Shop under the agent (no code change: startup hook + CLR profiler)").ConfigureAwait(false);
        var appLines = new BlockingCollection<string>(boundedCapacity: 10_000);
        using var app = StartShop(shopDll, artifacts, server.GrpcAddress, appLines);
        try
        {
            using var api = new DeepApiClient(new ServerConnection(server.HttpAddress, null, null));
            if (!await WaitForLineAsync(appLines, l => l.StartsWith("shop: processing", StringComparison.Ordinal), TimeSpan.FromSeconds(30), o, cancellation).ConfigureAwait(false))
                throw new CliException(ExitCodes.Unexpected, "the sample app did not start; its output is above");

            await Step(o, 4, "creating tracepoints on the server while the app runs").ConfigureAwait(false);
            var ids = new List<string>();
            foreach (var (title, json, _) in Tracepoints)
            {
                var created = await api.PostJsonAsync("api/tracepoints", $"{{\"tracepoint\":{json}}}", cancellation).ConfigureAwait(false);
                var id = JsonDocument.Parse(created).RootElement.GetProperty("tracepoint").GetProperty("ID").GetString() ?? "?";
                ids.Add(id);
                await o.WriteLineAsync($"      {id}  {title}").ConfigureAwait(false);
            }

            await Step(o, 5, $"waiting for them to fire (at most {timeout.TotalSeconds:0} s); snapshots print as they arrive").ConfigureAwait(false);
            var seen = await WatchAsync(api, ids, appLines, o, timeout, cancellation).ConfigureAwait(false);

            await o.WriteLineAsync().ConfigureAwait(false);
            await o.WriteLineAsync("deep demo: summary").ConfigureAwait(false);
            var ok = true;
            foreach (var (what, count) in seen)
            {
                await o.WriteLineAsync($"      {(count > 0 ? "ok     " : "MISSING")} {what}: {count}").ConfigureAwait(false);
                ok &= count > 0;
            }
            await o.WriteLineAsync($"      explore: ./deep snapshot list --server {server.HttpAddress}   or open {server.HttpAddress}").ConfigureAwait(false);

            if (keepRunning)
            {
                await o.WriteLineAsync("deep demo: everything stays up; Ctrl-C to stop.").ConfigureAwait(false);
                try { await Task.Delay(Timeout.Infinite, cancellation).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
            if (!ok)
                throw new CliException(ExitCodes.Unexpected, "some tracepoints did not produce what they should (see MISSING above); the app's output above may say why");
            await o.WriteLineAsync("deep demo: done. Everything it started is stopped.").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        finally
        {
            Stop(app);
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static Task Step(TextWriter o, int n, string text) => o.WriteLineAsync($"[{n}/5] {text}");

    private static async Task<string> BuildSampleAsync(string root, TextWriter o, CancellationToken cancellation)
    {
        var outDir = Path.Combine(root, ".deep", "samples", "Shop");
        var dll = Path.Combine(outDir, "Shop.dll");
        var sources = Path.Combine(root, "samples", "Shop");
        var newest = Directory.EnumerateFiles(sources, "*.cs*", SearchOption.TopDirectoryOnly).Max(File.GetLastWriteTimeUtc);
        if (File.Exists(dll) && File.GetLastWriteTimeUtc(dll) >= newest) return dll;
        await o.WriteLineAsync("      building samples/Shop...").ConfigureAwait(false);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "build", Path.Combine(sources, "Shop.csproj"), "-c", "Debug", "-o", outDir, "-nologo", "-v", "q", "-clp:ErrorsOnly" })
            info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var output = await p.StandardOutput.ReadToEndAsync(cancellation).ConfigureAwait(false) + await p.StandardError.ReadToEndAsync(cancellation).ConfigureAwait(false);
        await p.WaitForExitAsync(cancellation).ConfigureAwait(false);
        if (p.ExitCode != 0) throw new CliException(ExitCodes.Unexpected, "building samples/Shop failed:\n" + output);
        File.SetLastWriteTimeUtc(dll, DateTime.UtcNow);
        return dll;
    }

    private static Process StartShop(string shopDll, RunArtifacts artifacts, Uri grpc, BlockingCollection<string> lines)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(shopDll);
        foreach (var (name, value) in ChildProcess.Environment(new RunOptions([], grpc.ToString(), "shop"), artifacts, Environment.GetEnvironmentVariable))
            info.Environment[name] = value;
        info.Environment["SHOP_PRINT_TELEMETRY"] = "1";
        var process = Process.Start(info) ?? throw new CliException(ExitCodes.Unexpected, "could not start the sample app");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.TryAdd(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.TryAdd("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Stop(Process app)
    {
        try
        {
            if (!app.HasExited)
            {
                app.Kill(entireProcessTree: true);
                app.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
    }

    private static async Task<bool> WaitForLineAsync(BlockingCollection<string> lines, Func<string, bool> match, TimeSpan timeout, TextWriter o, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            while (lines.TryTake(out var line))
            {
                await o.WriteLineAsync("      app> " + line).ConfigureAwait(false);
                if (match(line)) return true;
            }
            await Task.Delay(100, cancellation).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>Prints new snapshots and the app's DEEP output until every tracepoint showed its effect or time runs out.</summary>
    private static async Task<List<(string What, int Count)>> WatchAsync(DeepApiClient api, List<string> ids, BlockingCollection<string> appLines, TextWriter o, TimeSpan timeout, CancellationToken cancellation)
    {
        var printed = new HashSet<string>();
        var snapshots = new int[ids.Count];
        int logs = 0, metrics = 0, spans = 0;
        bool Done() => logs > 0 && metrics > 0 && spans > 0
            && Enumerable.Range(0, ids.Count).All(i => Tracepoints[i].Counted is null || snapshots[i] > 0);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !Done())
        {
            while (appLines.TryTake(out var line))
            {
                if (line.StartsWith("[deep]", StringComparison.Ordinal)) { logs++; await o.WriteLineAsync("      app> " + line).ConfigureAwait(false); }
                else if (line.StartsWith("shop: metric", StringComparison.Ordinal)) { if (metrics++ < 3) await o.WriteLineAsync("      app> " + line).ConfigureAwait(false); }
                else if (line.StartsWith("shop: span", StringComparison.Ordinal)) { if (spans++ < 3) await o.WriteLineAsync("      app> " + line).ConfigureAwait(false); }
                else if (line.StartsWith("stderr:", StringComparison.Ordinal)) await o.WriteLineAsync("      app> " + line).ConfigureAwait(false);
            }
            var answer = await api.GetJsonAsync("api/snapshots?limit=20", cancellation).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(answer);
            var list = doc.RootElement.GetProperty("snapshots").EnumerateArray().Reverse().ToList();
            foreach (var element in list)
            {
                var snapshot = DeepApiClient.Parse<Snapshot>(element.GetRawText());
                var key = Convert.ToHexString(snapshot.ID.ToByteArray());
                if (!printed.Add(key)) continue;
                var index = ids.IndexOf(snapshot.Tracepoint?.ID ?? "");
                if (index >= 0) snapshots[index]++;
                await o.WriteLineAsync().ConfigureAwait(false);
                await o.WriteLineAsync(SnapshotTree.Render(snapshot, 2)).ConfigureAwait(false);
            }
            await Task.Delay(300, cancellation).ConfigureAwait(false);
        }
        var seen = new List<(string What, int Count)>();
        for (var i = 0; i < ids.Count; i++)
        {
            if (Tracepoints[i].Counted is { } what) seen.Add((what, snapshots[i]));
        }
        seen.Add(("log lines from the log point", logs));
        seen.Add(("metric measurements", metrics));
        seen.Add(("spans around PlaceOrder", spans));
        return seen;
    }
}
