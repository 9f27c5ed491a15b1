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
    /// <summary>
    /// The most tracepoints a tenant may have. An agent reports the status of each one it holds, and a report of more
    /// than this many is refused (<see cref="ProbeStatusStore.MaxStatusesPerReport"/>), so the two limits agree.
    /// </summary>
    public const int MaxTracepointsPerTenant = 10_000;

    /// <summary>
    /// The most bytes a tenant's tracepoints may take together (protobuf): every poll answer carries all of them, and
    /// an agent refuses an answer over 16 MiB.
    /// </summary>
    public const int MaxTracepointBytesPerTenant = 8 * 1024 * 1024;

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
            state.Bytes += config.CalculateSize();
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
        var size = stored.CalculateSize();
        lock (_gate)
        {
            var state = GetState(tenant);
            if (state.Tracepoints.Length >= MaxTracepointsPerTenant)
                throw new TracepointLimitException($"there are already {state.Tracepoints.Length} tracepoints, the most this server keeps (agents report on each one); delete some first");
            if (state.Bytes + size > MaxTracepointBytesPerTenant)
                throw new TracepointLimitException($"the tracepoints would take {state.Bytes + size} bytes together, over the {MaxTracepointBytesPerTenant} every poll answer may carry; delete some first");
            _store.Insert(tenant, stored);
            state.Tracepoints = state.Tracepoints.Add(stored);
            state.Bytes += size;
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
            state.Bytes -= state.Tracepoints[index].CalculateSize();
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

        /// <summary>The protobuf size of <see cref="Tracepoints"/> together.</summary>
        public long Bytes { get; set; }
    }
}

/// <summary>A tracepoint refused because the tenant has as many (or as large) as the server keeps.</summary>
internal sealed class TracepointLimitException(string message) : Exception(message);
