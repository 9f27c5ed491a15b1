using System.Runtime.CompilerServices;
using Deep.Agent.Actions;
using Deep.Agent.Diagnostics;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.Probes;

/// <summary>
/// The probes of a running agent, by probe id: the layout the engine bound (which slot holds which value), the
/// actions the trigger handler set, and the armed view that the hot path in <see cref="ProbeRuntime"/> reads without
/// locks. The agent builds one at start and makes it the one instrumented code reaches
/// (<see cref="ProbeRuntime.Activate"/>); it also holds what a hit needs: the snapshots-per-second cap, where
/// failures are reported, and the time.
/// </summary>
internal sealed class ProbeTable : IProbeBinder
{
    // Probe ids are the int32 the rewritten IL passes: unique over the process's life, not per table, so that a
    // method still carrying the probes of a stopped agent can never reach a probe of the next one.
    private static int s_lastProbeId;

    private readonly object _lock = new();
    private readonly Action<ProbeAction?, string> _onActionFailed;
    private readonly Action<ProbeAction, string> _onRejected;
    private readonly long _anchorEpochNanos;
    private readonly long _anchorTimestamp;
    private ProbeEntry?[] _probes = new ProbeEntry?[64];

    /// <summary>A table whose failures go to the agent's self-diagnostics.</summary>
    /// <param name="cap">The process-wide snapshots-per-second cap.</param>
    /// <param name="time">The clock of hits (<see cref="TimeProvider.System"/> when null).</param>
    /// <param name="onActionFailed">An action or condition failed at a hit (the application never sees it).</param>
    /// <param name="onRejected">An action could not be prepared against the probe's layout: its tracepoint never fires.</param>
    public ProbeTable(PerSecondCap cap, TimeProvider? time = null, Action<ProbeAction?, string>? onActionFailed = null,
        Action<ProbeAction, string>? onRejected = null)
    {
        Cap = cap;
        Time = time ?? TimeProvider.System;
        _onActionFailed = onActionFailed ?? ((action, message) => SelfLog.ActionFailed(action?.TracepointId ?? "?", message));
        _onRejected = onRejected ?? ((action, message) => SelfLog.Rejected(action.TracepointId, message));
        // Hits are stamped from the monotonic timestamp, anchored to the wall clock once: as cheap as a timestamp
        // read, and never running backwards when the wall clock is adjusted.
        _anchorEpochNanos = Deep.Protocol.UnixNanos.Now(Time);
        _anchorTimestamp = Time.GetTimestamp();
    }

    /// <summary>The process-wide snapshots-per-second cap.</summary>
    public PerSecondCap Cap { get; }

    /// <summary>Where the table's time comes from.</summary>
    public TimeProvider Time { get; }

    /// <summary>Epoch nanoseconds now: the wall clock at the table's creation, advanced by the monotonic timestamp.</summary>
    public long EpochNanos() => _anchorEpochNanos + Time.GetElapsedTime(_anchorTimestamp).Ticks * 100;

    /// <summary>The hot path: the armed view of a probe, or null (unknown id, unbound, nothing armed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ArmedProbe? Armed(int probeId)
    {
        var probes = Volatile.Read(ref _probes);
        return (uint)probeId < (uint)probes.Length ? probes[probeId]?.Armed : null;
    }

    /// <summary>A new probe id (the trigger handler's probes and the engine's aliases come from one sequence).</summary>
    public int AllocateProbeId() => Interlocked.Increment(ref s_lastProbeId);

    int IProbeBinder.NewAliasId() => AllocateProbeId();

    /// <summary>The engine: which slot holds which variable. Until this is called for a probe, it does not fire.</summary>
    public void Bind(int probeId, ProbeFrameLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        lock (_lock)
        {
            var entry = GetOrCreate(probeId);
            entry.Layout = layout;
            Rearm(entry);
        }
    }

    /// <summary>The engine removed the probe's code: forget the layout.</summary>
    public void Unbind(int probeId)
    {
        lock (_lock)
        {
            var probes = _probes;
            if ((uint)probeId < (uint)probes.Length && probes[probeId] is { } entry)
            {
                entry.Layout = null;
                entry.Armed = null;
            }
        }
    }

    /// <summary>The trigger handler: the actions a probe runs (replacing the previous list).</summary>
    public void SetActions(int probeId, IReadOnlyList<ProbeAction> actions)
    {
        lock (_lock)
        {
            var entry = GetOrCreate(probeId);
            entry.Actions = actions.ToArray();
            Rearm(entry);
        }
    }

    /// <summary>The trigger handler: the probe is gone (with its aliases).</summary>
    public void Remove(int probeId)
    {
        lock (_lock)
        {
            var probes = _probes;
            if ((uint)probeId >= (uint)probes.Length) return;
            if (probes[probeId]?.Aliases is { } aliases)
            {
                foreach (var alias in aliases)
                {
                    if ((uint)alias < (uint)probes.Length) Volatile.Write(ref probes[alias], null);
                }
            }
            Volatile.Write(ref probes[probeId], null);
        }
    }

    /// <summary>The actions currently armed for a probe (empty when unbound); for diagnostics and tests.</summary>
    public IReadOnlyList<ProbeAction> ArmedActions(int probeId) => Armed(probeId)?.Actions ?? [];

    /// <summary>Whether the probe has a layout from the engine.</summary>
    public bool IsBound(int probeId)
    {
        var probes = Volatile.Read(ref _probes);
        return (uint)probeId < (uint)probes.Length && probes[probeId]?.Layout is not null;
    }

    /// <summary>Which spans <paramref name="actions"/> open: around their line, and/or until their method exits.</summary>
    public static (bool Line, bool Method) SpanScopesOf(IEnumerable<ProbeAction> actions)
    {
        bool line = false, method = false;
        foreach (var action in actions)
        {
            if (action is SpanAction span)
            {
                line |= span.Scope == "line";
                method |= span.Scope == "method";
            }
        }
        return (line, method);
    }

    /// <summary>
    /// Binds <paramref name="aliasId"/> as one more placement of <paramref name="ownerId"/> (an overload of a method
    /// location): it runs copies of the owner's actions against its own layout, and goes when the owner goes.
    /// </summary>
    public void BindAlias(int aliasId, int ownerId, ProbeFrameLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        lock (_lock)
        {
            var owner = GetOrCreate(ownerId);
            var entry = GetOrCreate(aliasId);
            (owner.Aliases ??= []).Remove(aliasId);
            owner.Aliases.Add(aliasId);
            entry.Layout = layout;
            entry.Actions = owner.Actions.Select(a => a.CopyForAlias()).ToArray();
            Rearm(entry);
        }
    }

    /// <summary>The engine removed an alias's code.</summary>
    public void UnbindAlias(int aliasId, int ownerId)
    {
        lock (_lock)
        {
            var probes = _probes;
            if ((uint)ownerId < (uint)probes.Length && probes[ownerId]?.Aliases is { } aliases) aliases.Remove(aliasId);
            if ((uint)aliasId < (uint)probes.Length) Volatile.Write(ref probes[aliasId], null);
        }
    }

    /// <summary>Reports a failure at a hit; the reporter failing must not reach the application either.</summary>
    public void Report(ProbeAction? action, string message)
    {
        try
        {
            _onActionFailed(action, message);
        }
        catch
        {
            // nothing may reach the application
        }
    }

    /// <summary>
    /// Runs the actions of a hit that pass their rate limits, the cap and their conditions. <paramref name="awaitedOn"/>:
    /// for the awaited outcome of a task, the thread the method returned on; the actions then run when the task
    /// completed, on another thread, so spans (which live on a thread) are not started.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // a stable frame count between the probed method and the snapshot
    internal void RunActions(int probeId, ArmedProbe armed, HitState values, Thread? awaitedOn = null)
    {
        Hit? hit = null;
        var cap = Cap;
        foreach (var action in armed.Actions)
        {
            if ((awaitedOn is not null && action.Kind == ActionKind.Span) || !action.Limiter.MayFire()) continue;
            var isSnapshot = action.Kind == ActionKind.Snapshot;
            if (isSnapshot && !cap.MayTake()) continue;
            try
            {
                if (action.Condition is { } condition && !condition(values)) continue;
            }
            catch (Exception e)
            {
                // A condition that fails means "do not fire"; report it once, not per hit.
                if (action.FirstRuntimeError()) Report(action, $"condition failed: {e.Message}");
                continue;
            }
            if (!action.Limiter.TryAcquire()) continue;
            if (isSnapshot && !cap.TryTake())
            {
                SelfLog.SnapshotDropped("the global snapshots-per-second cap was reached");
                continue;
            }
            hit ??= new Hit(probeId, values, armed.Layout, EpochNanos(), awaitedOn, awaited: awaitedOn is not null);
            try
            {
                action.Process(hit);
            }
            catch (Exception e)
            {
                Report(action, $"{action.Kind} action failed: {e.Message}");
            }
        }
        hit?.Complete(e => Report(null, $"completing the hit failed: {e.Message}"));
    }

    private ProbeEntry GetOrCreate(int probeId)
    {
        if (probeId <= 0) throw new ArgumentOutOfRangeException(nameof(probeId), "probe ids start at 1");
        var probes = _probes;
        if (probeId >= probes.Length)
        {
            var bigger = new ProbeEntry?[Math.Max(probeId + 1, probes.Length * 2)];
            Array.Copy(probes, bigger, probes.Length);
            Volatile.Write(ref _probes, bigger);
            probes = bigger;
        }
        return probes[probeId] ??= new ProbeEntry();
    }

    private void Rearm(ProbeEntry entry)
    {
        if (entry.Aliases is { } aliases)
        {
            var probes = _probes;
            foreach (var alias in aliases)
            {
                if ((uint)alias < (uint)probes.Length && probes[alias] is { } aliasEntry)
                {
                    aliasEntry.Actions = entry.Actions.Select(a => a.CopyForAlias()).ToArray();
                    Rearm(aliasEntry);
                }
            }
        }
        if (entry.Layout is not { } layout)
        {
            entry.Armed = null;
            return;
        }
        // Any expression of a tracepoint that does not compile rejects the whole tracepoint (it never fires),
        // while the other tracepoints at this location keep working.
        var failed = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var action in entry.Actions)
        {
            if (action.Prepare(layout) || !failed.Add(action.Tracepoint)) continue;
            try
            {
                _onRejected(action, action.PrepareError!);
            }
            catch
            {
                // diagnostics must not break arming
            }
        }
        var ready = entry.Actions.Where(a => !failed.Contains(a.Tracepoint)).ToList();
        entry.Armed = ready.Count == 0 ? null : new ArmedProbe(layout, ready.ToArray(), Cap);
    }

    /// <summary>One probe id's registration: what the engine bound and the trigger handler set.</summary>
    private sealed class ProbeEntry
    {
        public ProbeFrameLayout? Layout;
        public ProbeAction[] Actions = [];
        public volatile ArmedProbe? Armed;
        // A method location's probe serves every overload: each overload has its own id (an alias) and layout,
        // and runs copies of the owner's actions compiled against that layout (sharing their rate limiters).
        public List<int>? Aliases;
    }
}

/// <summary>An immutable view of a probe that can fire: swapped atomically, read without locks.</summary>
internal sealed class ArmedProbe(ProbeFrameLayout layout, ProbeAction[] actions, PerSecondCap cap)
{
    public readonly ProbeFrameLayout Layout = layout;
    public readonly ProbeAction[] Actions = actions;
    public readonly int SlotCount = layout.Slots.Count;
    public readonly AwaitShape? Awaited = AwaitShape.Of(layout); // an exit probe of a method returning a task
    public readonly int DurationSlot = DurationSlotOf(layout);
    private readonly PerSecondCap _cap = cap;

    /// <summary>
    /// An exit hit of a call that began while the probe could not fire (<see cref="ProbeRuntime.TimestampIf"/>
    /// answered 0): its duration is unknown, so the call is not reported.
    /// </summary>
    public bool StartedUnarmed(HitState hit) =>
        DurationSlot >= 0 && hit.Has(DurationSlot) && hit.Get<long>(DurationSlot) == ProbeRuntime.UnknownDuration;

    private static int DurationSlotOf(ProbeFrameLayout layout)
    {
        var slots = layout.Slots;
        for (var i = 0; i < slots.Count; i++)
        {
            if (slots[i].Kind == SlotKind.Duration) return i;
        }
        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into Enter, which is compiled optimized from its first call
    public bool MayFire()
    {
        var actions = Actions;
        for (var i = 0; i < actions.Length; i++)
        {
            var action = actions[i];
            if (action.Limiter.MayFire() && (action.Kind != ActionKind.Snapshot || _cap.MayTake())) return true;
        }
        return false;
    }
}
