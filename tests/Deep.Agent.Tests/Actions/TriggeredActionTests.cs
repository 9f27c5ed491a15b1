using Deep.Agent.Probes;
using Deep.Agent.Triggers;
using Deep.Agent.Tests.Probes;
using Deep.Protocol;

namespace Deep.Agent.Tests.Actions;

/// <summary>
/// Tracepoints at <c>OrderService.cs:42</c> applied through a trigger handler, with the real probe runtime, actions,
/// expression compiler and capture; a binding engine stands in for the profiler and <see cref="Collected"/> for the sinks.
/// </summary>
public abstract class TriggeredActionTests : IDisposable
{
    private protected readonly Collected _collected = new();
    private protected readonly TriggerHandler _handler;

    private protected TriggeredActionTests() => _handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, new BindingEngine());

    public void Dispose() => _handler.Clear();

    /// <summary>A tracepoint that fires on every hit.</summary>
    private protected static TracePointConfig Tp(string id, params (string, string)[] args) =>
        ProbeTestSupport.Tracepoint(id, "OrderService.cs", 42, [("fire_count", "-1"), ("fire_period", "0"), .. args]);

    /// <summary>Applies <paramref name="tps"/> and returns their one probe.</summary>
    private protected int Apply(params TracePointConfig[] tps)
    {
        _handler.Apply(tps);
        return _handler.Probes.Single().Value;
    }
}
