using System.Collections.Immutable;
using Deep.Server.Storage;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Polling;

/// <summary>
/// The tracepoints of every tenant, in creation order, kept in memory (polls are frequent, changes rare) and written
/// through to storage. Each tenant has a change signal: a task that completes on the next change, which long polls
/// wait on, so a new tracepoint reaches a waiting agent at once rather than at the next tick of a sleep loop.
/// </summary>
internal sealed class TracepointRegistry
{
    private readonly TracepointStore _store;
    private readonly object _gate = new();
    private readonly Dictionary<string, TenantState> _tenants = new(StringComparer.Ordinal);

    public TracepointRegistry(TracepointStore store)
    {
        _store = store;
        foreach (var (tenant, config) in store.LoadAll())
        {
            var state = GetState(tenant);
            state.Tracepoints = state.Tracepoints.Add(config);
        }
    }

    /// <summary>The tenant's tracepoints now, and a task that completes when they next change.</summary>
    public (ImmutableArray<TracePointConfig> Tracepoints, Task Changed) Current(string tenant)
    {
        lock (_gate)
        {
            var state = GetState(tenant);
            return (state.Tracepoints, state.Changed.Task);
        }
    }

    /// <summary>Stores a new tracepoint under a fresh UUID v4 (any ID given is replaced) and wakes waiting polls.</summary>
    public TracePointConfig Add(string tenant, TracePointConfig config)
    {
        var stored = config.Clone();
        stored.ID = Guid.NewGuid().ToString();
        lock (_gate)
        {
            _store.Insert(tenant, stored);
            var state = GetState(tenant);
            state.Tracepoints = state.Tracepoints.Add(stored);
            Signal(state);
        }
        return stored.Clone();
    }

    /// <summary>Deletes a tracepoint; false when the tenant has none with that id.</summary>
    public bool Remove(string tenant, string id)
    {
        lock (_gate)
        {
            var state = GetState(tenant);
            var index = state.Tracepoints.IndexOf(state.Tracepoints.FirstOrDefault(t => t.ID == id)!);
            if (index < 0) return false;
            _store.Delete(tenant, id);
            state.Tracepoints = state.Tracepoints.RemoveAt(index);
            Signal(state);
            return true;
        }
    }

    private static void Signal(TenantState state)
    {
        var old = state.Changed;
        state.Changed = NewSignal();
        old.TrySetResult();
    }

    private TenantState GetState(string tenant)
    {
        if (!_tenants.TryGetValue(tenant, out var state))
        {
            state = new TenantState();
            _tenants.Add(tenant, state);
        }
        return state;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class TenantState
    {
        public ImmutableArray<TracePointConfig> Tracepoints { get; set; } = ImmutableArray<TracePointConfig>.Empty;

        public TaskCompletionSource Changed { get; set; } = NewSignal();
    }
}
