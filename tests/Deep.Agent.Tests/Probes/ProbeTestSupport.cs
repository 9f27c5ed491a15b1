using System.Reflection;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;

namespace Deep.Agent.Tests.Probes;

/// <summary>Does what the instrumentation engine does: allocates probe ids and binds layouts.</summary>
internal static class ProbeTestSupport
{
    private static int s_nextId = 100_000;

    public static int NewProbeId() => Interlocked.Increment(ref s_nextId);

    public static ProbeFrameLayout Layout(params (string Name, Type Type)[] slots) => new(
        slots.Select((s, i) => new ProbeSlot(s.Name, s.Type, i == 0 && s.Name == "this" ? SlotKind.This : SlotKind.Local)).ToArray(),
        MethodBase.GetCurrentMethod()!,
        "/src/Shop/OrderService.cs",
        42,
        0,
        []);

    public static TracePointConfig Tracepoint(string id = "tp-1", string path = "OrderService.cs", uint line = 42, params (string Key, string Value)[] args)
    {
        var tp = new TracePointConfig { ID = id, Path = path, LineNumber = line };
        foreach (var (k, v) in args) tp.Args[k] = v;
        return tp;
    }
}

/// <summary>An action that records what it saw, with a condition written as a delegate over the hit state.</summary>
internal sealed class RecordingAction : ProbeAction
{
    private readonly Action<Hit>? _onProcess;

    public RecordingAction(RateLimiter? limiter = null, Func<HitState, bool>? condition = null, Action<Hit>? onProcess = null,
        ActionKind kind = ActionKind.Log)
        : base(ProbeTestSupport.Tracepoint(), limiter ?? new RateLimiter(-1, 0, null, null))
    {
        Condition = condition;
        _onProcess = onProcess;
        Kind = kind;
    }

    public override ActionKind Kind { get; }

    public List<Hit> Hits { get; } = new();

    protected override string? PrepareCore(ProbeFrameLayout layout) => null;

    public override void Process(Hit hit)
    {
        lock (Hits) Hits.Add(hit);
        _onProcess?.Invoke(hit);
    }
}
