using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Deep.Agent.Tests;

public sealed class DeepAgentTests : IDisposable
{
    public void Dispose() => DeepAgent.Shutdown();

    private static int UnusedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public void Start_runs_once_and_Shutdown_stops_it()
    {
        DeepAgent.Shutdown();
        Assert.True(DeepAgent.Start(new DeepAgentOptions { ServiceUrl = $"http://127.0.0.1:{UnusedPort()}", Engine = new BindingEngine() }));
        Assert.True(DeepAgent.IsRunning);
        Assert.False(DeepAgent.Start());
        DeepAgent.Shutdown();
        Assert.False(DeepAgent.IsRunning);
        DeepAgent.Shutdown(); // twice is harmless
    }

    [Fact]
    public void Disabled_by_options_the_agent_does_not_start()
    {
        DeepAgent.Shutdown();
        Assert.False(DeepAgent.Start(new DeepAgentOptions { Enabled = false }));
        Assert.False(DeepAgent.IsRunning);
    }

    [Fact]
    public void A_tracepoint_registered_in_code_is_installed_and_its_handle_removes_it()
    {
        DeepAgent.Shutdown();
        var engine = new BindingEngine();
        Assert.True(DeepAgent.Start(new DeepAgentOptions { ServiceUrl = $"http://127.0.0.1:{UnusedPort()}", Engine = engine }));
        var handle = DeepAgent.RegisterTracepoint("OrderService.cs", 42, new Dictionary<string, string> { ["fire_count"] = "-1" }, ["x"]);
        Poll.Until(() => engine.Installed.Any(l => l.Line == 42 && l.Path == "OrderService.cs"), "the custom tracepoint installed");
        var probe = engine.Installed.Single().ProbeId;
        handle.Dispose();
        Poll.Until(() => engine.Removed.Contains(probe), "the custom tracepoint removed");
    }

    [Fact]
    public void RegisterTracepoint_without_a_running_agent_returns_a_harmless_handle()
    {
        DeepAgent.Shutdown();
        var handle = DeepAgent.RegisterTracepoint("X.cs", 1);
        handle.Dispose();
    }

    [Fact]
    public void Shutdown_with_the_server_down_and_snapshots_queued_returns_within_the_flush_limit()
    {
        DeepAgent.Shutdown();
        var engine = new BindingEngine();
        Assert.True(DeepAgent.Start(new DeepAgentOptions
        {
            ServiceUrl = $"http://127.0.0.1:{UnusedPort()}",
            Engine = engine,
            FlushTimeout = TimeSpan.FromMilliseconds(500),
        }));
        using var handle = DeepAgent.RegisterTracepoint("OrderService.cs", 42, new Dictionary<string, string> { ["fire_count"] = "-1", ["fire_period"] = "0" });
        Poll.Until(() => engine.Installed.Any(), "installed");
        var probe = engine.Installed.Single().ProbeId;
        for (var i = 0; i < 3; i++) Assert.True(BindingEngine.Hit(probe, i, "n"));
        var push = DeepAgent.Running!.Push;

        var watch = Stopwatch.StartNew();
        DeepAgent.Shutdown();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"shutdown took {watch.Elapsed}");
        Assert.Equal(3, push.Dropped);
    }

    [Fact]
    public void The_startup_hook_is_the_global_StartupHook_type_the_runtime_looks_for_and_starts_the_agent()
    {
        DeepAgent.Shutdown();
        // What the runtime does with DOTNET_STARTUP_HOOKS: find "StartupHook" in the global namespace, call Initialize.
        var type = typeof(DeepAgent).Assembly.GetType("StartupHook", throwOnError: true)!;
        var initialize = type.GetMethod("Initialize", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static, Type.EmptyTypes)!;
        Assert.Equal(typeof(void), initialize.ReturnType);
        initialize.Invoke(null, null);
        Assert.True(DeepAgent.IsRunning); // starting on the agent thread counts as running
        initialize.Invoke(null, null); // a second call never throws
        Poll.Until(() => DeepAgent.Running is not null, "the agent thread finished the start");
        Assert.False(DeepAgent.Start(), "a second start while the hook's agent runs");
    }

    [Fact]
    public void A_tracepoint_registered_right_after_the_startup_hook_waits_for_the_start_and_is_kept()
    {
        DeepAgent.Shutdown();
        DeepAgent.StartInBackground();
        // Main may register at once, before the agent thread is done: the registration must not be lost.
        using var handle = DeepAgent.RegisterTracepoint("OrderService.cs", 42);
        var running = DeepAgent.Running;
        Assert.NotNull(running);
        Assert.Contains(running.Config.Current, tp => tp.Path == "OrderService.cs" && tp.LineNumber == 42);
    }

    [Fact]
    public void Shutdown_right_after_the_startup_hook_stops_the_agent_it_was_starting_and_a_new_start_works()
    {
        DeepAgent.Shutdown();
        DeepAgent.StartInBackground();
        DeepAgent.Shutdown();
        Assert.False(DeepAgent.IsRunning);
        Assert.Null(DeepAgent.Running);
        Assert.True(DeepAgent.Start(new DeepAgentOptions { ServiceUrl = $"http://127.0.0.1:{UnusedPort()}", Engine = new BindingEngine() }));
    }

    [Fact]
    public async Task A_process_with_the_agent_exits_promptly_while_the_server_is_down()
    {
        // The real thing: a separate .NET process that knows nothing about the agent loads it through
        // DOTNET_STARTUP_HOOKS (as `deep run` does); its server is unreachable, and it must still exit on its own.
        var agentDll = typeof(DeepAgent).Assembly.Location;
        var hostApp = HostAppPath();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(hostApp);
        psi.Environment["DOTNET_STARTUP_HOOKS"] = agentDll;
        psi.Environment["DEEP_SERVICE_URL"] = $"http://127.0.0.1:{UnusedPort()}";
        psi.Environment["DEEP_POLL_TIMER"] = "0.05";
        psi.Environment["DEEP_DEBUG"] = "true";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        // The agent starts on its own thread: let it finish starting (and fail a poll or more), then end the app.
        var log = new System.Text.StringBuilder();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (e.Data.Contains("deep agent started", StringComparison.Ordinal)) started.TrySetResult();
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await started.Task.WaitAsync(timeout.Token);
        process.StandardInput.Close();
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("host app ran", await stdout, StringComparison.Ordinal);
        lock (log) Assert.Contains("deep agent stopped", log.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("server:notaport")]
    [InlineData("ftp://server:1")]
    [InlineData("not a host:43315")]
    public async Task A_process_with_an_unusable_server_address_runs_with_the_agent_idle_and_one_error_line(string url)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(HostAppPath());
        psi.Environment["DOTNET_STARTUP_HOOKS"] = typeof(DeepAgent).Assembly.Location;
        psi.Environment["DEEP_SERVICE_URL"] = url;
        psi.Environment["DEEP_DEBUG"] = "true";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        // The settings are read on the agent's start thread: the app keeps running (stdin open) until its line came.
        var log = new System.Text.StringBuilder();
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (e.Data.Contains("DEEP_SERVICE_URL", StringComparison.Ordinal)) reported.TrySetResult();
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await reported.Task.WaitAsync(timeout.Token);
        process.StandardInput.Close();
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("host app ran", await stdout, StringComparison.Ordinal);
        string stderr;
        lock (log) stderr = log.ToString();
        var lines = stderr.Split('\n').Where(l => l.Contains("DEEP_SERVICE_URL", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.Contains(url, line, StringComparison.Ordinal);
        Assert.Contains("stays idle", line, StringComparison.Ordinal);
        Assert.DoesNotContain("deep agent started", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("poll to", stderr, StringComparison.Ordinal);
    }

    private static string HostAppPath()
    {
        // tests/Deep.Agent.Tests/bin/<config>/net10.0 -> tests/Deep.Agent.Tests/Interop/HostApp/bin/<config>/net10.0
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = dir.Name;
        var config = dir.Parent!.Name;
        var project = dir.Parent.Parent!.Parent!.FullName;
        // A solution build builds this project reference (it is not in the solution) in its default configuration,
        // so look for the test's own configuration first, then the others.
        var candidates = new[] { config, "Release", "Debug" }.Distinct()
            .Select(c => Path.Combine(project, "Interop", "HostApp", "bin", c, tfm, "Deep.Agent.HostApp.dll")).ToList();
        var path = candidates.FirstOrDefault(File.Exists);
        Assert.True(path is not null, $"host app not built at any of {string.Join(", ", candidates)}");
        return path!;
    }
}
