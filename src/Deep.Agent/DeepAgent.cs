using Deep.Agent.Actions;
using Deep.Agent.Config;
using Deep.Agent.Diagnostics;
using Deep.Agent.Instrumentation;
using Deep.Agent.Native;
using Deep.Agent.Capture;
using Deep.Agent.Polling;
using Deep.Agent.Probes;
using Deep.Agent.Push;
using Deep.Agent.Settings;
using Deep.Agent.Status;
using Deep.Agent.Transport;
using Deep.Agent.Triggers;
using Deep.Protocol;

namespace Deep.Agent;

/// <summary>
/// The agent's public entry point: <see cref="Start"/> it once, register tracepoints in code if you like, and
/// <see cref="Shutdown"/> (also done at process exit). No method here throws into the application.
/// </summary>
public static class DeepAgent
{
    // How long RegisterTracepoint and Shutdown wait for a start the startup hook left running on the agent thread.
    private static readonly TimeSpan PendingStartWait = TimeSpan.FromSeconds(10);

    private static readonly object s_lock = new();
    private static RunningAgent? s_running;
    private static Thread? s_starting; // the startup hook's start, still running on its agent thread
    private static bool s_startCancelled; // Shutdown during that start: stop the agent as soon as it exists
    private static readonly ManualResetEventSlim s_startDone = new(true);

    /// <summary>Whether the agent is running (or starting on its own thread, after the startup hook).</summary>
    public static bool IsRunning => Volatile.Read(ref s_running) is not null || Volatile.Read(ref s_starting) is not null;

    /// <summary>
    /// Starts the agent (once; later calls return false). Reads <c>DEEP_*</c> settings, overridden by
    /// <paramref name="options"/>. In a process not started with the profiler (<c>deep run</c>), attaches the
    /// profiler to this process first (<c>DEEP_PROFILER_PATH</c>, else Deep.Profiler.so next to the agent). Returns whether it started; a problem is reported to self-diagnostics, never thrown.
    /// </summary>
    public static bool Start(DeepAgentOptions? options = null)
    {
        try
        {
            lock (s_lock)
            {
                if (s_running is not null || s_starting is not null) return false;
                var settings = ReadSettings(options);
                if (settings is null) return false;
                // Started in code without `deep run`: bring the profiler in before the engine looks for it.
                if (options?.Engine is null) SelfAttach.EnsureProfiler();
                s_running = RunningAgent.Create(settings, options, null);
                return true;
            }
        }
        catch (Exception e)
        {
            SelfLog.Error($"the agent could not start: {e.Message}");
            return false;
        }
    }

    /// <summary>
    /// The startup hook's start: takes the <c>DEEP_*</c> variables on the application's thread (so they are the
    /// environment the process started with), then parses them and does everything else on an agent thread, so that
    /// Main is not kept waiting for the settings, transport, engine, symbol index or first poll.
    /// </summary>
    internal static void StartInBackground()
    {
        try
        {
            lock (s_lock)
            {
                if (s_running is not null || s_starting is not null) return;
                var environment = AgentSettings.ReadProcessEnvironment();
                s_startCancelled = false;
                s_startDone.Reset();
                var thread = new Thread(() => FinishStart(environment)) { IsBackground = true, Name = "deep-start" };
                s_starting = thread;
                thread.Start();
            }
        }
        catch (Exception e)
        {
            lock (s_lock) s_starting = null;
            s_startDone.Set();
            SelfLog.Error($"the agent could not start: {e.Message}");
        }
    }

    private static void FinishStart(Dictionary<string, string?> environment)
    {
        RunningAgent? started = null;
        try
        {
            ProbeRuntime.MarkAgentThread();
            if (ReadSettings(null, environment) is { } settings)
            {
                SelfAttach.EnsureProfiler();
                started = RunningAgent.Create(settings, null, null);
            }
        }
        catch (Exception e)
        {
            SelfLog.Error($"the agent could not start: {e.Message}");
        }
        bool cancelled;
        lock (s_lock)
        {
            cancelled = s_startCancelled;
            if (!cancelled)
            {
                s_running = started;
                s_starting = null;
            }
        }
        if (cancelled)
        {
            // Shutdown came first: stop what was built before anyone can start another agent.
            try
            {
                started?.Stop();
            }
            catch (Exception e)
            {
                SelfLog.Error($"shutdown failed: {e.Message}");
            }
            lock (s_lock) s_starting = null;
        }
        s_startDone.Set();
    }

    /// <summary>The settings from the environment and <paramref name="options"/>; null when the agent is disabled.</summary>
    private static AgentSettings? ReadSettings(DeepAgentOptions? options, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var settings = Merge(AgentSettings.FromEnvironment(environment), options);
        if (settings.Debug) SelfLog.DebugToStderr = true;
        foreach (var warning in settings.Warnings) SelfLog.Warning(warning);
        if (!settings.Enabled)
        {
            if (settings.DisabledReason is { } reason) SelfLog.Error(reason);
            else SelfLog.Info("DEEP_ENABLED=false: the agent does not start");
            return null;
        }
        return settings;
    }

    /// <summary>The running agent; waits (bounded) for a start still under way on the agent thread.</summary>
    private static RunningAgent? RunningOrStarting()
    {
        var running = Volatile.Read(ref s_running);
        if (running is null && Volatile.Read(ref s_starting) is not null && s_startDone.Wait(PendingStartWait))
            running = Volatile.Read(ref s_running);
        return running;
    }

    /// <summary>Test seam: start with a given transport.</summary>
    internal static RunningAgent? StartWith(AgentSettings settings, DeepAgentOptions? options, IDeepTransport transport)
    {
        lock (s_lock)
        {
            if (s_running is not null || s_starting is not null) return null;
            s_running = RunningAgent.Create(settings, options, transport);
            return s_running;
        }
    }

    internal static RunningAgent? Running => Volatile.Read(ref s_running);

    /// <summary>
    /// Registers a tracepoint in code; it survives server updates until the returned handle is disposed. Returns a
    /// handle that does nothing when the agent is not running. While the startup hook's start is still under way on
    /// the agent thread, waits for it (at most 10 s).
    /// </summary>
    /// <param name="path">The source file (bare name, relative or absolute path).</param>
    /// <param name="line">The line.</param>
    /// <param name="args">Tracepoint arguments (spec §2), e.g. <c>fire_count</c>, <c>condition</c>, <c>log_msg</c>.</param>
    /// <param name="watches">Expressions evaluated for snapshots.</param>
    /// <param name="metrics">Metrics to record at the line.</param>
    public static IDisposable RegisterTracepoint(string path, int line, IReadOnlyDictionary<string, string>? args = null,
        IEnumerable<string>? watches = null, IEnumerable<Metric>? metrics = null)
    {
        try
        {
            var running = RunningOrStarting();
            if (running is null)
            {
                SelfLog.Warning($"RegisterTracepoint({path}:{line}) ignored: the agent is not running");
                return NoopHandle.Instance;
            }
            var tp = new TracePointConfig { ID = $"custom-{Guid.NewGuid():N}", Path = path ?? "", LineNumber = (uint)Math.Max(line, 0) };
            if (args is not null) foreach (var (k, v) in args) tp.Args[k] = v;
            if (watches is not null) tp.Watches.AddRange(watches);
            if (metrics is not null) tp.Metrics.AddRange(metrics);
            return running.Config.AddCustom(tp);
        }
        catch (Exception e)
        {
            SelfLog.Error($"RegisterTracepoint failed: {e.Message}");
            return NoopHandle.Instance;
        }
    }

    /// <summary>
    /// Stops polling, removes every probe, and sends what is queued within the flush time limit. A start the startup
    /// hook left running on the agent thread is stopped as soon as it is done (waited for, at most 10 s).
    /// </summary>
    public static void Shutdown()
    {
        try
        {
            RunningAgent? running;
            bool pending;
            lock (s_lock)
            {
                running = s_running;
                s_running = null;
                pending = s_starting is not null;
                if (pending) s_startCancelled = true;
            }
            running?.Stop();
            if (pending) s_startDone.Wait(PendingStartWait);
        }
        catch (Exception e)
        {
            SelfLog.Error($"shutdown failed: {e.Message}");
        }
    }

    private static AgentSettings Merge(AgentSettings env, DeepAgentOptions? options)
    {
        if (options is null) return env;
        var warnings = env.Warnings.ToList();
        var url = env.ServiceUrl;
        if (options.ServiceUrl is { } text)
        {
            url = AgentSettings.ParseServiceUrl(text, null, warnings) ?? url;
        }
        return env with
        {
            ServiceUrl = url,
            PollInterval = options.PollInterval is { } pi && pi > TimeSpan.Zero ? pi : env.PollInterval,
            LongPoll = options.LongPoll is { } lp && lp >= TimeSpan.Zero ? lp : env.LongPoll,
            ServiceName = options.ServiceName ?? env.ServiceName,
            ResourceAttributes = options.ResourceAttributes is { } ra ? env.ResourceAttributes.Concat(ra).ToList() : env.ResourceAttributes,
            Headers = options.Headers is { } h ? env.Headers.Concat(h).ToList() : env.Headers,
            Enabled = options.Enabled ?? env.Enabled,
            Debug = options.Debug ?? env.Debug,
            QueueCapacity = options.QueueCapacity is > 0 and var q ? q : env.QueueCapacity,
            MaxSnapshotsPerSecond = options.MaxSnapshotsPerSecond ?? env.MaxSnapshotsPerSecond,
            FlushTimeout = options.FlushTimeout ?? env.FlushTimeout,
            Warnings = warnings,
        };
    }

    private sealed class NoopHandle : IDisposable
    {
        public static readonly NoopHandle Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// The parts of a started agent, wired together in one place (<see cref="Create"/>, the agent's composition root):
/// settings → transport → push queue → probe table and engine → triggers → config and polling → status.
/// docs/design/agent.md follows a tracepoint through them.
/// </summary>
internal sealed class RunningAgent
{
    private int _stopped;

    private RunningAgent(AgentSettings settings, Resource resource, IDeepTransport transport, PushQueue push, ProbeTable probes,
        ConfigService config, TriggerHandler triggers, PollLoop poll, AgentContext context, StatusReporter status)
    {
        Settings = settings;
        Resource = resource;
        Transport = transport;
        Push = push;
        Probes = probes;
        Config = config;
        Triggers = triggers;
        Poll = poll;
        Context = context;
        Status = status;
    }

    public AgentSettings Settings { get; }
    public Resource Resource { get; }
    public IDeepTransport Transport { get; }
    public PushQueue Push { get; }
    public ProbeTable Probes { get; }
    public ConfigService Config { get; }
    public TriggerHandler Triggers { get; }
    public PollLoop Poll { get; }
    public AgentContext Context { get; }
    public StatusReporter Status { get; }
    public Deep.Agent.ExceptionReplay.ExceptionReplayService? Replay { get; private set; }

    public static RunningAgent Create(AgentSettings settings, DeepAgentOptions? options, IDeepTransport? transport)
    {
        var time = TimeProvider.System;

        // Where data leaves the process: the transport to the server, and the bounded queue snapshots wait in.
        var resource = ResourceDetector.Detect(settings);
        transport ??= new GrpcDeepTransport(settings);
        var push = new PushQueue(transport, settings.QueueCapacity, settings.CallTimeout);
        IReadOnlyList<IDeepLogSink> sinks = options?.LogSinks is { Count: > 0 } given ? given.ToArray() : [new ConsoleLogSink()];
        var context = new AgentContext(settings, resource, push, sinks);

        // What instrumented code reaches: this agent's probe table, bound by the engine that rewrites methods.
        var probes = new ProbeTable(new PerSecondCap(settings.MaxSnapshotsPerSecond), time);
        var engine = options?.Engine;
        string? whyNot = null;
        if (engine is null)
        {
            try
            {
                engine = EngineLocator.TryCreate(probes, out whyNot);
            }
            catch (Exception e)
            {
                whyNot = e.Message;
            }
        }

        // Tracepoints become actions on probes; the config service hands every change to the trigger handler.
        var triggers = new TriggerHandler(context, probes, engine, whyNot);
        var config = new ConfigService(time);
        config.AddListener(triggers.OnConfigChanged);
        var poll = new PollLoop(settings, transport, config, resource, time);

        // The probe install states go back to the server. The profiler engine keeps them in its registry; any other
        // engine reports through the shared one.
        var registry = (engine as ProfilerEngine)?.Status ?? ProbeStatusRegistry.Shared;
        var status = new StatusReporter(transport, triggers, registry, context.ResourceKeyValues, StatusReporter.DefaultPeriod, settings.CallTimeout);
        config.AddListener(_ => status.Nudge());

        var agent = new RunningAgent(settings, resource, transport, push, probes, config, triggers, poll, context, status);
        ProbeRuntime.Activate(probes);
        agent.Replay = Deep.Agent.ExceptionReplay.ExceptionReplayService.Start(context, engine, probes);
        AppDomain.CurrentDomain.ProcessExit += agent.OnProcessExit;
        poll.Start();
        status.Start();
        CaptureWarmup.StartInBackground(context.Redactor);
        SelfLog.Info($"deep agent started: server {settings.ServiceUrl}, poll every {settings.PollInterval.TotalSeconds:0.##} s, " +
            $"engine {(engine is null ? $"none ({whyNot})" : engine.GetType().Name)}");
        return agent;
    }

    // At process exit the agent's threads (all background threads) end with the process: joining them, removing
    // probes or closing connections would only delay the exit. What is worth waiting for is a snapshot still queued,
    // for at most DEEP_FLUSH_TIMEOUT_MS; with nothing queued, or the server failing, the exit is not delayed at all.
    private void OnProcessExit(object? sender, EventArgs e)
    {
        try
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
            // A queue backing off (server unreachable) would only spend the whole grace failing: do not wait for it.
            if (Push.Pending > 0 && !Push.IsRetrying) Push.Shutdown(Settings.FlushTimeout);
            SelfLog.Info($"deep agent stopped at process exit: {Push.Sent} snapshot(s) sent, {Push.Dropped} dropped, {Push.Rejected} refused");
        }
        catch
        {
            // the process is exiting; never block or throw here
        }
    }

    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Replay?.Dispose();
        Poll.Dispose();
        Status.Dispose();
        Config.Dispose();
        Triggers.Clear();
        ProbeRuntime.Deactivate(Probes);
        Push.Shutdown(Settings.FlushTimeout);
        Transport.Dispose();
        SelfLog.Info($"deep agent stopped: {Push.Sent} snapshot(s) sent, {Push.Dropped} dropped, {Push.Rejected} refused, {Push.GivenUp} given up after retries");
    }
}
