using System.Runtime.CompilerServices;

namespace Deep.Agent.Probes;

/// <summary>
/// What instrumented code calls at a probe (see docs/design/probe-abi.md): a thin static entry that forwards to the
/// <see cref="ProbeTable"/> of the running agent. The rewritten IL can only call static methods, so the table it
/// reaches is one static reference, swapped as a whole when an agent starts or stops (<see cref="Activate"/>).
/// <see cref="Enter"/> is the hot path: it answers false, cheaply and without allocating, unless at least one
/// action of the probe may fire. Nothing here ever throws into the application. Public only because the rewritten IL
/// of application methods (other assemblies) calls it, by name: not for applications.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static partial class ProbeRuntime
{
    // Before any agent started (and after it stopped): a table with no probes, so every entry point answers "no".
    private static ProbeTable s_table = new(new PerSecondCap(100));

    // Nonzero while the thread runs agent code (re-entrancy), and permanently on the agent's own threads.
    [ThreadStatic] private static int t_busy;
    [ThreadStatic] private static HitState? t_hit;

    /// <summary>The table instrumented code reaches now.</summary>
    internal static ProbeTable Table => Volatile.Read(ref s_table);

    /// <summary>A starting agent: from now on instrumented code reaches <paramref name="table"/>.</summary>
    internal static void Activate(ProbeTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        Volatile.Write(ref s_table, table);
    }

    /// <summary>A stopping agent: if <paramref name="table"/> is still the active one, probes reach an empty table.</summary>
    internal static void Deactivate(ProbeTable table) =>
        Interlocked.CompareExchange(ref s_table, new ProbeTable(new PerSecondCap(100)), table);

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
        var armed = Volatile.Read(ref s_table).Armed(probeId);
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
        var table = Volatile.Read(ref s_table);
        try
        {
            if (hit.ProbeId != probeId) return;
            var armed = table.Armed(probeId);
            if (armed is not null && !armed.StartedUnarmed(hit) && (armed.Awaited is not { } shape || !AwaitOutcome(table, probeId, shape, hit)))
                table.RunActions(probeId, armed, hit);
        }
        catch (Exception e)
        {
            table.Report(null, $"probe {probeId} failed: {e.Message}");
        }
        finally
        {
            hit.Clear();
            t_busy--;
        }
    }

    /// <summary>An action failing at a hit (reported to the active table's agent; the application never sees it).</summary>
    internal static void ReportError(ProbeAction? action, string message) => Volatile.Read(ref s_table).Report(action, message);

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
}
