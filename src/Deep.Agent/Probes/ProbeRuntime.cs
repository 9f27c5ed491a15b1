using System.Diagnostics;
using System.Runtime.CompilerServices;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.Probes;

/// <summary>
/// What instrumented code calls at a probe (see docs/design/probe-abi.md). <see cref="Enter"/> is the hot path: it
/// answers false, cheaply and without allocating, unless at least one action of the probe may fire. Nothing here
/// ever throws into the application. Public only because the rewritten IL of application methods (other
/// assemblies) calls it, by name (docs/design/probe-abi.md): not for applications.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static partial class ProbeRuntime
{
    private static readonly object s_lock = new();
    private static ProbeState?[] s_probes = new ProbeState?[64];

    // Nonzero while the thread runs agent code (re-entrancy), and permanently on the agent's own threads.
    [ThreadStatic] private static int t_busy;
    [ThreadStatic] private static HitState? t_hit;

    /// <summary>The process-wide snapshots-per-second cap.</summary>
    internal static GlobalSnapshotCap GlobalCap { get; set; } = new(100);

    /// <summary>Called when an action or condition fails at a hit (the agent reports it; the application never sees it).</summary>
    internal static Action<ProbeAction?, string>? ErrorSink { get; set; }

    /// <summary>Called after the actions of a probe were (re)armed against a layout, with the ones that failed to prepare.</summary>
    internal static Action<int, ProbeAction, string>? PrepareErrorSink { get; set; }

    /// <summary>The hot path: should the instrumented code hand over its values and call <see cref="Fire"/>?</summary>
    /// <remarks>
    /// AggressiveOptimization: the method is compiled fully optimized on its first call instead of starting at
    /// tier 0. A probe is usually armed long after start-up, and tiering it up takes call counting plus a
    /// background compile that the tiering delay keeps postponing while the agent jits its own code: measured end
    /// to end, a refused hit cost 35-70 ns for the first seconds after a tracepoint was installed (tier-0 Enter,
    /// MayFire, Limiter and MayFire again, each a call) and ~8 ns once tiered up (docs/benchmarks.md). The callees
    /// on the refused path are small and inlined into it, so none of them runs at tier 0 either.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Enter(int probeId)
    {
        // No try/catch here or in BeginHit on purpose: nothing on this path can throw (array reads are
        // bounds-checked by hand), and a method without exception handling gets the fastest thread-static access.
        // The one allocation (the thread's hit state, once per thread) lives in CreateHitState, which catches.
        // The probe's own state comes first: a refused hit (nothing armed, or every action rate-limited out) then
        // reads only ordinary fields and never the thread-static re-entrancy flag.
        var probes = Volatile.Read(ref s_probes);
        if ((uint)probeId >= (uint)probes.Length) return false;
        var armed = probes[probeId]?.Armed;
        return armed is not null && armed.MayFire() && BeginHit(probeId, armed);
    }

    // Out of line so that the refused path above stays a short frame (no thread-static lookup, few saved registers).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool BeginHit(int probeId, ArmedProbe armed)
    {
        if (t_busy != 0) return false;
        var hit = t_hit ?? CreateHitState();
        if (hit is null) return false;
        hit.Begin(probeId, armed.Layout, armed.SlotCount);
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static HitState? CreateHitState()
    {
        try
        {
            return t_hit = new HitState();
        }
        catch
        {
            return null;
        }
    }

    /// <summary>Hands over the value of slot <paramref name="slot"/> without boxing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Value<T>(T value, int slot)
    {
        var hit = t_hit;
        if (hit is not null && hit.Active) hit.Store(value, slot);
    }

    /// <summary>Hands over a value the profiler could only box.</summary>
    public static void ValueObject(object? value, int slot)
    {
        var hit = t_hit;
        if (hit is not null && hit.Active) hit.StoreObject(value, slot);
    }

    /// <summary>Evaluates conditions, runs the actions that pass, records fires, and clears the hit state.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // a stable frame count between the probed method and the snapshot
    public static void Fire(int probeId)
    {
        var hit = t_hit;
        if (hit is null || !hit.Active) return;
        t_busy++;
        try
        {
            if (hit.ProbeId != probeId) return;
            var probes = Volatile.Read(ref s_probes);
            var armed = (uint)probeId < (uint)probes.Length ? probes[probeId]?.Armed : null;
            if (armed is not null && !armed.StartedUnarmed(hit) && (armed.Awaited is not { } shape || !AwaitOutcome(probeId, shape, hit)))
                RunActions(probeId, armed, hit);
        }
        catch (Exception e)
        {
            Report(null, $"probe {probeId} failed: {e.Message}");
        }
        finally
        {
            hit.Clear();
            t_busy--;
        }
    }

    // awaitedOn: for the awaited outcome of a task (ProbeRuntime.Async.cs), the thread the method returned on; the
    // actions then run when the task completed, on another thread, so spans (which live on a thread) are not started.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RunActions(int probeId, ArmedProbe armed, HitState values, Thread? awaitedOn = null)
    {
        Hit? hit = null;
        var cap = GlobalCap;
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
                Deep.Agent.Diagnostics.SelfLog.SnapshotDropped("the global snapshots-per-second cap was reached");
                continue;
            }
            hit ??= new Hit(probeId, values, armed.Layout, Clock.EpochNanos(), awaitedOn, awaited: awaitedOn is not null);
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

    internal static void ReportError(ProbeAction? action, string message) => Report(action, message);

    private static void Report(ProbeAction? action, string message)
    {
        try
        {
            ErrorSink?.Invoke(action, message);
        }
        catch
        {
            // The error sink itself failing must not reach the application either.
        }
    }

    /// <summary>The engine: which slot holds which variable. Until this is called for a probe, Enter answers false.</summary>
    internal static void Bind(int probeId, ProbeFrameLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        lock (s_lock)
        {
            var state = GetOrCreate(probeId);
            state.Layout = layout;
            Rearm(probeId, state);
        }
    }

    /// <summary>The engine removed the probe's code: forget the layout.</summary>
    internal static void Unbind(int probeId)
    {
        lock (s_lock)
        {
            var probes = s_probes;
            if ((uint)probeId < (uint)probes.Length && probes[probeId] is { } state)
            {
                state.Layout = null;
                state.Armed = null;
            }
        }
    }

    /// <summary>The trigger handler: the actions a probe runs (replacing the previous list).</summary>
    internal static void SetActions(int probeId, IReadOnlyList<ProbeAction> actions)
    {
        bool spansChanged;
        lock (s_lock)
        {
            var state = GetOrCreate(probeId);
            var before = ScopesOf(state.Actions);
            state.Actions = actions.ToArray();
            spansChanged = state.Layout is not null && ScopesOf(state.Actions) != before;
            Rearm(probeId, state);
        }
        if (spansChanged)
        {
            try
            {
                SpanScopesChanged?.Invoke(probeId);
            }
            catch
            {
                // the engine only queues work; nothing here may fail the trigger handler
            }
        }
    }

    /// <summary>
    /// A bound probe's actions now open other spans (a tracepoint at an installed location gained or lost
    /// <c>span</c>): the engine re-installs the location so the method gets (or drops) its exit hooks and span end.
    /// </summary>
    internal static event Action<int>? SpanScopesChanged;

    /// <summary>The trigger handler: the probe is gone.</summary>
    internal static void Remove(int probeId)
    {
        lock (s_lock)
        {
            var probes = s_probes;
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
    internal static IReadOnlyList<ProbeAction> ArmedActions(int probeId)
    {
        var probes = Volatile.Read(ref s_probes);
        return (uint)probeId < (uint)probes.Length && probes[probeId]?.Armed is { } armed ? armed.Actions : [];
    }

    /// <summary>Which spans the probe's actions open (the engine gives such a method exit hooks).</summary>
    internal static (bool Line, bool Method) SpanScopes(int probeId)
    {
        lock (s_lock)
        {
            var probes = s_probes;
            if ((uint)probeId >= (uint)probes.Length || probes[probeId] is not { } state) return (false, false);
            return ScopesOf(state.Actions);
        }
    }

    private static (bool Line, bool Method) ScopesOf(ProbeAction[] actions)
    {
        bool line = false, method = false;
        foreach (var action in actions)
        {
            if (action is Actions.SpanAction span)
            {
                line |= span.Scope == "line";
                method |= span.Scope == "method";
            }
        }
        return (line, method);
    }

    /// <summary>Whether the probe has a layout from the engine.</summary>
    internal static bool IsBound(int probeId)
    {
        var probes = Volatile.Read(ref s_probes);
        return (uint)probeId < (uint)probes.Length && probes[probeId]?.Layout is not null;
    }

    /// <summary>Marks the current thread as the agent's own: probes hit on it are ignored.</summary>
    internal static void MarkAgentThread() => t_busy = 1;

    /// <summary>Runs <paramref name="action"/> with probes ignored on this thread (re-entrancy guard).</summary>
    internal static T WithoutProbes<T>(Func<T> action)
    {
        t_busy++;
        try
        {
            return action();
        }
        finally
        {
            t_busy--;
        }
    }

    private static int s_nextProbeId;

    /// <summary>A new probe id (the trigger handler's and the engine's aliases come from one sequence).</summary>
    internal static int AllocateProbeId() => Interlocked.Increment(ref s_nextProbeId);

    /// <summary>
    /// Binds <paramref name="aliasId"/> as one more placement of <paramref name="ownerId"/> (an overload of a method
    /// location): it runs copies of the owner's actions against its own layout, and goes when the owner goes.
    /// </summary>
    internal static void BindAlias(int aliasId, int ownerId, ProbeFrameLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        lock (s_lock)
        {
            var owner = GetOrCreate(ownerId);
            var state = GetOrCreate(aliasId);
            (owner.Aliases ??= []).Remove(aliasId);
            owner.Aliases.Add(aliasId);
            state.Layout = layout;
            state.Actions = owner.Actions.Select(a => a.CopyForAlias()).ToArray();
            Rearm(aliasId, state);
        }
    }

    /// <summary>The engine removed an alias's code.</summary>
    internal static void UnbindAlias(int aliasId, int ownerId)
    {
        lock (s_lock)
        {
            var probes = s_probes;
            if ((uint)ownerId < (uint)probes.Length && probes[ownerId]?.Aliases is { } aliases) aliases.Remove(aliasId);
            if ((uint)aliasId < (uint)probes.Length) Volatile.Write(ref probes[aliasId], null);
        }
    }

    private static ProbeState GetOrCreate(int probeId)
    {
        if (probeId <= 0) throw new ArgumentOutOfRangeException(nameof(probeId), "probe ids start at 1");
        var probes = s_probes;
        if (probeId >= probes.Length)
        {
            var bigger = new ProbeState?[Math.Max(probeId + 1, probes.Length * 2)];
            Array.Copy(probes, bigger, probes.Length);
            Volatile.Write(ref s_probes, bigger);
            probes = bigger;
        }
        return probes[probeId] ??= new ProbeState();
    }

    private static void Rearm(int probeId, ProbeState state)
    {
        if (state.Aliases is { } aliases)
        {
            var probes = s_probes;
            foreach (var alias in aliases)
            {
                if ((uint)alias < (uint)probes.Length && probes[alias] is { } aliasState)
                {
                    aliasState.Actions = state.Actions.Select(a => a.CopyForAlias()).ToArray();
                    Rearm(alias, aliasState);
                }
            }
        }
        if (state.Layout is not { } layout)
        {
            state.Armed = null;
            return;
        }
        // Any expression of a tracepoint that does not compile rejects the whole tracepoint (it never fires),
        // while the other tracepoints at this location keep working.
        var failed = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var action in state.Actions)
        {
            if (action.Prepare(layout) || !failed.Add(action.Tracepoint)) continue;
            try
            {
                PrepareErrorSink?.Invoke(probeId, action, action.PrepareError!);
            }
            catch
            {
                // diagnostics must not break arming
            }
        }
        var ready = state.Actions.Where(a => !failed.Contains(a.Tracepoint)).ToList();
        state.Armed = ready.Count == 0 ? null : new ArmedProbe(layout, ready.ToArray());
    }

    private sealed class ProbeState
    {
        public ProbeFrameLayout? Layout;
        public ProbeAction[] Actions = [];
        public volatile ArmedProbe? Armed;
        // A method location's probe serves every overload: each overload has its own id (an alias) and layout,
        // and runs copies of the owner's actions compiled against that layout (sharing their rate limiters).
        public List<int>? Aliases;
    }

    /// <summary>An immutable view of a probe that can fire: swapped atomically, read without locks.</summary>
    private sealed class ArmedProbe(ProbeFrameLayout layout, ProbeAction[] actions)
    {
        public readonly ProbeFrameLayout Layout = layout;
        public readonly ProbeAction[] Actions = actions;
        public readonly int SlotCount = layout.Slots.Count;
        public readonly AwaitShape? Awaited = AwaitShape.Of(layout); // an exit probe of a method returning a task
        public readonly int DurationSlot = DurationSlotOf(layout);

        /// <summary>
        /// An exit hit of a call that began while the probe could not fire (<see cref="TimestampIf"/> answered 0):
        /// its duration is unknown, so the call is not reported.
        /// </summary>
        public bool StartedUnarmed(HitState hit) =>
            DurationSlot >= 0 && hit.Has(DurationSlot) && hit.Get<long>(DurationSlot) == UnknownDuration;

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
                if (action.Limiter.MayFire() && (action.Kind != ActionKind.Snapshot || GlobalCap.MayTake())) return true;
            }
            return false;
        }
    }
}

/// <summary>Epoch time with nanosecond resolution, from the monotonic clock anchored once.</summary>
internal static class Clock
{
    private static readonly long s_anchorEpochTicks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
    private static readonly long s_anchorTimestamp = Stopwatch.GetTimestamp();

    public static long EpochNanos()
    {
        var elapsed = Stopwatch.GetElapsedTime(s_anchorTimestamp);
        return (s_anchorEpochTicks + elapsed.Ticks) * 100;
    }
}
