using System.Collections.Concurrent;
using Deep.Agent.Diagnostics;

namespace Deep.Agent.Instrumentation;

/// <summary>Where a probe is in its life.</summary>
internal enum ProbeInstallState
{
    /// <summary>Waiting: no loaded assembly has the file yet (it is resolved when one loads).</summary>
    Pending,
    /// <summary>The method was rewritten; the probe runs from the method's next call.</summary>
    Installed,
    /// <summary>It cannot be installed; <see cref="ProbeInstallStatus.Detail"/> says why.</summary>
    Error,
    /// <summary>Removed; the method's original code is restored.</summary>
    Removed,
}

/// <summary>The state of one probe (one location; the tracepoints at that location share it).</summary>
/// <param name="ProbeId">The probe.</param>
/// <param name="Location">What was asked for.</param>
/// <param name="State">Pending, installed, error or removed.</param>
/// <param name="Detail">For errors and pending probes: why, in words a developer can act on.</param>
/// <param name="Method">Where it was installed: <c>Namespace.Type.Method</c>.</param>
/// <param name="ILOffset">The IL offset it was inserted at.</param>
/// <param name="LineUsed">The line actually probed (differs from the requested one on a line without code).</param>
/// <param name="NotCaptured">Values in scope there that cannot be captured, with why.</param>
/// <param name="Since">When the probe entered this state.</param>
internal sealed record ProbeInstallStatus(
    int ProbeId,
    ProbeLocation Location,
    ProbeInstallState State,
    string? Detail,
    string? Method,
    int? ILOffset,
    int? LineUsed,
    IReadOnlyList<string> NotCaptured,
    DateTimeOffset Since)
{
    /// <summary>One line for logs: state, where, and why.</summary>
    public override string ToString()
    {
        if (Location.MethodName is { } methodName)
        {
            string method = $"{Location.Path} {(Location.ClassName is null ? "" : Location.ClassName + ".")}{methodName} ({Location.Stage})";
            return State switch
            {
                ProbeInstallState.Installed => $"probe {ProbeId} at {method} installed in {Method} {(ILOffset < 0 ? "at every exit" : "at entry")}" +
                                        (NotCaptured.Count > 0 ? $"; not captured: {string.Join("; ", NotCaptured)}" : ""),
                ProbeInstallState.Pending => $"probe {ProbeId} at {method} pending: {Detail}",
                ProbeInstallState.Error => $"probe {ProbeId} at {method} failed: {Detail}",
                _ => $"probe {ProbeId} at {method} removed",
            };
        }
        string where = $"{Location.Path}:{Location.Line} ({Location.Stage})";
        return State switch
        {
            ProbeInstallState.Installed => $"probe {ProbeId} at {where} installed in {Method} at IL_{ILOffset:X4}" +
                                    (LineUsed != Location.Line ? $", using line {LineUsed} (line {Location.Line} has no code)" : "") +
                                    (NotCaptured.Count > 0 ? $"; not captured: {string.Join("; ", NotCaptured)}" : ""),
            ProbeInstallState.Pending => $"probe {ProbeId} at {where} pending: {Detail}",
            ProbeInstallState.Error => $"probe {ProbeId} at {where} failed: {Detail}",
            _ => $"probe {ProbeId} at {where} removed",
        };
    }
}

/// <summary>
/// Every probe's state, written to the agent's self-diagnostics as it changes and readable by the agent (to report
/// to the server) and by tests. Thread-safe.
/// </summary>
internal sealed class ProbeStatusRegistry
{
    private readonly ConcurrentDictionary<int, ProbeInstallStatus> _statuses = new();

    /// <summary>The registry of this process's engine.</summary>
    public static ProbeStatusRegistry Shared { get; } = new();

    /// <summary>Raised after a probe's status changed (on an agent thread). Handlers must not throw.</summary>
    public event Action<ProbeInstallStatus>? Changed;

    /// <summary>The current status of <paramref name="probeId"/>, or null if the engine never saw it.</summary>
    public ProbeInstallStatus? Get(int probeId) => _statuses.TryGetValue(probeId, out var status) ? status : null;

    /// <summary>Every probe's current status.</summary>
    public IReadOnlyList<ProbeInstallStatus> All() => _statuses.Values.OrderBy(s => s.ProbeId).ToList();

    /// <summary>Records a new status, logs it when it changed, and tells listeners.</summary>
    public void Set(ProbeInstallStatus status)
    {
        ProbeInstallStatus? previous = null;
        _statuses.AddOrUpdate(status.ProbeId, status, (_, old) =>
        {
            previous = old;
            return status;
        });
        if (previous is not null && previous.State == status.State && previous.Detail == status.Detail
            && previous.ILOffset == status.ILOffset && previous.Method == status.Method)
        {
            return;
        }
        switch (status.State)
        {
            case ProbeInstallState.Error:
                SelfLog.Warning(status.ToString());
                break;
            default:
                SelfLog.Info(status.ToString());
                break;
        }
        try
        {
            Changed?.Invoke(status);
        }
        catch (Exception e)
        {
            SelfLog.Warning($"a probe status listener failed: {e.Message}");
        }
    }

    /// <summary>Forgets a probe entirely.</summary>
    public void Forget(int probeId) => _statuses.TryRemove(probeId, out _);
}
