using Deep.Agent.Diagnostics;
using Deep.Agent.Instrumentation;
using Deep.Agent.Transport;
using Deep.Agent.Triggers;
using Deep.Protocol;
using Deep.Protocol.Grpc;
using ProbeInstallState = Deep.Agent.Instrumentation.ProbeInstallState;
using WireStatus = Deep.Protocol.ProbeStatus;

namespace Deep.Agent.Status;

/// <summary>
/// Tells the server each tracepoint's state (deep-dotnet's <c>ProbeStatusService</c>, not DEEP): on its own
/// background thread, every <see cref="Period"/> and shortly after a probe or the tracepoint list changes, it sends
/// the full current set. A server that answers UNIMPLEMENTED (a DEEP server) is never asked again; any other failure
/// waits for the next period. Nothing here throws to its callers or blocks an application thread: change
/// notifications only set an event.
/// </summary>
internal sealed class StatusReporter : IDisposable
{
    /// <summary>The server drops agents silent for two minutes; every few seconds keeps the UI current.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(5);

    /// <summary>How long after a change the report goes out, so a burst of changes makes one report.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    private readonly IDeepTransport _transport;
    private readonly TriggerHandler _triggers;
    private readonly ProbeStatusRegistry _registry;
    private readonly IReadOnlyList<KeyValue> _resource;
    private readonly TimeSpan _callTimeout;
    private readonly AgentWorker _worker;
    private long _sent;
    private long _failures;
    private volatile bool _unimplemented;

    public StatusReporter(IDeepTransport transport, TriggerHandler triggers, ProbeStatusRegistry registry,
        IReadOnlyList<KeyValue> resource, TimeSpan period, TimeSpan callTimeout)
    {
        _transport = transport;
        _triggers = triggers;
        _registry = registry;
        _resource = resource;
        Period = period;
        _callTimeout = callTimeout;
        _worker = new AgentWorker("deep-status", ReportRound);
    }

    /// <summary>This agent process's id in reports: random, so two processes of one service stay apart.</summary>
    public string AgentId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The longest time between two reports.</summary>
    public TimeSpan Period { get; }

    /// <summary>Reports the server acknowledged.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Reports that failed (and will be retried next period).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>True once the server said it does not implement status reports: nothing more is sent.</summary>
    public bool Stopped => _unimplemented;

    public void Start()
    {
        _registry.Changed += OnChanged;
        _worker.Start();
    }

    /// <summary>Asks for a report soon. Cheap and safe from any thread (the registry and config listeners call it).</summary>
    public void Nudge()
    {
        if (!_unimplemented) _worker.Wake();
    }

    private void OnChanged(Instrumentation.ProbeInstallStatus status) => Nudge();

    // Reports now, then waits the period; a change wakes it early, and waits a moment for the rest of its burst.
    private TimeSpan ReportRound(WorkerRound round)
    {
        if (round.Woken && round.Stopping.WaitHandle.WaitOne(Settle)) return AgentWorker.Finished;
        if (!_unimplemented)
        {
            try
            {
                ReportOnce(round.Stopping);
            }
            catch (OperationCanceledException) when (round.Stopping.IsCancellationRequested)
            {
                return AgentWorker.Finished;
            }
            catch (Exception e)
            {
                // A failure waits for the next period.
                Interlocked.Increment(ref _failures);
                SelfLog.Debug($"probe status report failed: {e.Message}");
            }
        }
        if (!_unimplemented) return Period;
        _registry.Changed -= OnChanged;
        return AgentWorker.Finished;
    }

    /// <summary>Sends one report now. Returns normally on success and on failures that are retried next period.</summary>
    internal void ReportOnce(CancellationToken token)
    {
        var report = BuildReport();
        try
        {
            _transport.ReportStatusAsync(report, _callTimeout, token).GetAwaiter().GetResult();
            Interlocked.Increment(ref _sent);
        }
        catch (RpcException e) when (e.StatusCode == GrpcStatusCode.Unimplemented)
        {
            _unimplemented = true;
            SelfLog.Info($"the server does not take probe status reports ({e.Detail}); probe status stays in this log only");
        }
        catch (RpcException e) when (!token.IsCancellationRequested)
        {
            if (Interlocked.Increment(ref _failures) == 1)
                SelfLog.Warning($"probe status report failed ({e.StatusCode}: {e.Detail}); retrying every {Period.TotalSeconds:0.#} s");
            else
                SelfLog.Debug($"probe status report failed again ({e.StatusCode}: {e.Detail})");
        }
    }

    /// <summary>The full current set: every tracepoint the agent holds, with its probe's state.</summary>
    internal ProbeStatusReport BuildReport()
    {
        var report = new ProbeStatusReport { AgentId = AgentId, TsNanos = (ulong)UnixNanos.Now() };
        report.Resource.AddRange(_resource);
        foreach (var (tracepoint, probeId) in _triggers.Current())
            report.Statuses.Add(StatusOf(tracepoint, probeId is { } id ? _registry.Get(id) : null));
        return report;
    }

    private WireStatus StatusOf(ParsedTracepoint tracepoint, Instrumentation.ProbeInstallStatus? probe)
    {
        var status = new WireStatus { TracepointId = tracepoint.Tracepoint.ID };
        if (tracepoint.Error is { } rejected)
        {
            status.State = ProbeStatusState.Error;
            status.Detail = rejected;
            return status;
        }
        if (probe is null)
        {
            status.State = ProbeStatusState.Pending;
            status.Detail = _triggers.HasEngine
                ? "waiting for the instrumentation engine"
                : "no instrumentation engine: " + (_triggers.WhyNoEngine ?? "it is not loaded in this process");
            return status;
        }
        status.UpdatedNanos = (ulong)Math.Max(0, (probe.Since - DateTimeOffset.UnixEpoch).Ticks * 100);
        status.Detail = probe.Detail ?? "";
        switch (probe.State)
        {
            case ProbeInstallState.Installed:
                // What the probe cannot show (a ref struct local, a line_capture's missing outcome), with why.
                if (probe.NotCaptured.Count > 0)
                    status.Detail = "not captured: " + string.Join("; ", probe.NotCaptured);
                status.Method = probe.Method ?? "";
                status.IlOffset = (uint)Math.Max(0, probe.ILOffset ?? 0);
                status.LineUsed = (uint)Math.Max(0, probe.LineUsed ?? 0);
                var fired = tracepoint.Actions.Count == 0 ? 0 : tracepoint.Actions.Max(a => a.Limiter.FireCount);
                status.FireCount = (ulong)Math.Max(0, fired);
                status.State = fired > 0 ? ProbeStatusState.Fired : ProbeStatusState.Installed;
                // An action that could not bind to the method's locals (e.g. a condition naming a variable that is
                // not there) makes the tracepoint an error if none of its actions can run.
                var prepareErrors = tracepoint.Actions.Select(a => a.PrepareError).Where(e => e is not null).Distinct().ToList();
                if (prepareErrors.Count > 0)
                {
                    status.Detail = string.Join("; ", prepareErrors);
                    if (tracepoint.Actions.All(a => a.PrepareError is not null))
                        status.State = ProbeStatusState.Error;
                }
                // Expressions that failed alone (a watch naming a local the probed line does not have): the probe
                // runs without them, and the status says which and why.
                var failed = tracepoint.Actions.SelectMany(a => a.FailedExpressions).Distinct().ToList();
                if (failed.Count > 0)
                    status.Detail = (status.Detail.Length > 0 ? status.Detail + "; " : "") + "failed expressions: " + string.Join("; ", failed);
                break;
            case ProbeInstallState.Error:
                status.State = ProbeStatusState.Error;
                break;
            default:
                status.State = ProbeStatusState.Pending;
                break;
        }
        return status;
    }

    public void Dispose()
    {
        _registry.Changed -= OnChanged;
        _worker.Stop(TimeSpan.FromSeconds(2));
    }
}
