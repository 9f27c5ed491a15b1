using System.Collections.Concurrent;
using System.Reflection;
using Deep.Agent.Actions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Settings;
using Deep.Protocol;

namespace Deep.Agent.Tests;

/// <summary>Collects what an agent produces: snapshots and log lines.</summary>
internal sealed class Collected : ISnapshotSink, IDeepLogSink
{
    public ConcurrentQueue<Snapshot> Snapshots { get; } = new();
    public ConcurrentQueue<DeepLogEntry> Logs { get; } = new();

    public bool TryEnqueue(Snapshot snapshot)
    {
        Snapshots.Enqueue(snapshot);
        return true;
    }

    public void Emit(DeepLogEntry entry) => Logs.Enqueue(entry);

    public static AgentContext Context(Collected sink, AgentSettings? settings = null)
    {
        settings ??= AgentSettings.FromEnvironment(new Dictionary<string, string?>());
        return new AgentContext(settings, ResourceDetector.Detect(settings), sink, [sink]);
    }
}

/// <summary>
/// Does what the engine glue does once it resolved a location: binds the probe's layout in the probe runtime.
/// The layout for a path:line is given by the test (it is the engine's job to read PDBs).
/// </summary>
internal sealed class BindingEngine : IInstrumentationEngine
{
    private readonly Func<ProbeLocation, ProbeFrameLayout?> _resolve;

    public BindingEngine(Func<ProbeLocation, ProbeFrameLayout?>? resolve = null) =>
        _resolve = resolve ?? (_ => DefaultLayout);

    public static ProbeFrameLayout DefaultLayout { get; } = new(
        [new ProbeSlot("x", typeof(int), SlotKind.Argument), new ProbeSlot("name", typeof(string), SlotKind.Local)],
        typeof(BindingEngine).GetMethod(nameof(Install))!, "/src/Shop/OrderService.cs", 42, 0, []);

    public ConcurrentQueue<ProbeLocation> Installed { get; } = new();
    public ConcurrentQueue<int> Removed { get; } = new();

    public void Install(ProbeLocation location)
    {
        // Bind before recording, so a test that saw the install can hit the probe at once.
        if (_resolve(location) is { } layout) ProbeRuntime.Table.Bind(location.ProbeId, layout);
        Installed.Enqueue(location);
    }

    public void Remove(int probeId)
    {
        Removed.Enqueue(probeId);
        ProbeRuntime.Table.Unbind(probeId);
    }

    /// <summary>Hits a probe exactly as the rewritten IL does, with x and name.</summary>
    public static bool Hit(int probeId, int x, string? name)
    {
        if (!ProbeRuntime.Enter(probeId)) return false;
        ProbeRuntime.Value(x, 0);
        ProbeRuntime.Value(name, 1);
        ProbeRuntime.Fire(probeId);
        return true;
    }

    public static MethodBase AnyMethod => typeof(BindingEngine).GetMethod(nameof(Install))!;
}

internal static class Poll
{
    /// <summary>Waits for a condition with a generous deadline (never a fixed sleep).</summary>
    public static void Until(Func<bool> condition, string what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for: {what}");
            Thread.Sleep(10);
        }
    }
}
