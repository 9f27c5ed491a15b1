using System.Text;
using Deep.Agent.Config;
using Deep.Agent.Diagnostics;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;

namespace Deep.Agent.Triggers;

/// <summary>
/// Turns the tracepoint list into installed probes (spec §1, §2): one probe per location, the actions of every
/// tracepoint at that location merged; on a change, new locations installed, gone ones removed, unchanged
/// tracepoints keep their action objects (and so their fire counters).
/// </summary>
internal sealed class TriggerHandler
{
    private readonly object _lock = new();
    private readonly AgentContext _context;
    private readonly ProbeTable _probes;
    private readonly IInstrumentationEngine? _engine;
    private readonly Dictionary<LocationKey, int> _probeIds = new();
    private readonly Dictionary<int, (bool Line, bool Method)> _spanScopes = new(); // what each probe was installed with
    private readonly Dictionary<string, ParsedTracepoint> _byFingerprint = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reportedRejections = new(StringComparer.Ordinal);
    private bool _reportedNoEngine;

    public TriggerHandler(AgentContext context, ProbeTable probes, IInstrumentationEngine? engine, string? whyNoEngine = null)
    {
        _context = context;
        _probes = probes;
        _engine = engine;
        WhyNoEngine = whyNoEngine;
    }

    public string? WhyNoEngine { get; }

    /// <summary>The probe id serving a location, for diagnostics and tests.</summary>
    public int? ProbeIdOf(LocationKey location)
    {
        lock (_lock) return _probeIds.TryGetValue(location, out var id) ? id : null;
    }

    /// <summary>The installed locations and their probe ids.</summary>
    public IReadOnlyDictionary<LocationKey, int> Probes
    {
        get
        {
            lock (_lock) return new Dictionary<LocationKey, int>(_probeIds);
        }
    }

    /// <summary>True when an instrumentation engine installs the probes (without one they all stay pending).</summary>
    public bool HasEngine => _engine is not null;

    /// <summary>Every current tracepoint with its probe id (null when it was rejected), for the status reporter.</summary>
    public IReadOnlyList<(ParsedTracepoint Tracepoint, int? ProbeId)> Current()
    {
        lock (_lock)
        {
            return _byFingerprint.Values
                .Select(p => (p, p.Location is { } l && _probeIds.TryGetValue(l, out var id) ? id : (int?)null))
                .ToList();
        }
    }

    /// <summary>The config listener: applies the full new list.</summary>
    public void OnConfigChanged(ConfigChange change) => Apply(change.NewConfig);

    public void Apply(IReadOnlyList<TracePointConfig> tracepoints)
    {
        lock (_lock)
        {
            var next = new Dictionary<string, ParsedTracepoint>(StringComparer.Ordinal);
            foreach (var tp in tracepoints)
            {
                var fingerprint = Fingerprint(tp);
                if (next.ContainsKey(fingerprint)) continue; // the same tracepoint twice: once is enough
                // Unchanged tracepoints keep their parsed actions, and with them their fire counters.
                var parsed = _byFingerprint.TryGetValue(fingerprint, out var existing) ? existing : TracepointParser.Parse(tp, _context);
                next[fingerprint] = parsed;
                if (parsed.Error is { } error && _reportedRejections.Add(fingerprint)) SelfLog.Rejected(tp.ID, error);
            }
            foreach (var (fingerprint, old) in _byFingerprint)
            {
                if (next.ContainsKey(fingerprint) || old.Error is not null) continue;
                SelfLog.Removed(old.Tracepoint.ID);
                foreach (var action in old.Actions) action.Limiter.Dispose();
            }
            _reportedRejections.IntersectWith(next.Keys);
            _byFingerprint.Clear();
            foreach (var (k, v) in next) _byFingerprint[k] = v;

            var byLocation = next.Values.Where(p => p.Error is null).GroupBy(p => p.Location!).ToDictionary(g => g.Key, g => g.SelectMany(p => p.Actions).ToList());

            foreach (var (location, id) in _probeIds.ToList())
            {
                if (byLocation.ContainsKey(location)) continue;
                _probeIds.Remove(location);
                _spanScopes.Remove(id);
                _probes.Remove(id);
                SafeEngine(e => e.Remove(id));
            }
            foreach (var (location, actions) in byLocation)
            {
                // The spans the location's actions open travel with it to the engine (the method gets exit hooks).
                var spans = ProbeTable.SpanScopesOf(actions);
                if (_probeIds.TryGetValue(location, out var id))
                {
                    _probes.SetActions(id, actions); // re-armed against the layout it already has
                    if (_spanScopes[id] == spans) continue;
                    // A tracepoint at an installed location gained or lost a span: the engine re-installs it.
                    _spanScopes[id] = spans;
                    var changed = ProbeLocationOf(id, location, spans);
                    SafeEngine(e => e.Install(changed));
                    continue;
                }
                id = _probes.AllocateProbeId(); // one sequence with the engine's aliases for overloads
                _probeIds[location] = id;
                _spanScopes[id] = spans;
                _probes.SetActions(id, actions);
                // Not installed yet: the engine installs the probe when (and if) it can, and logs that state itself.
                var state = _engine is null ? $"pending: {WhyNoEngine ?? "no instrumentation engine"}" : $"probe {id} requested from the engine";
                foreach (var tpId in actions.Select(a => a.TracepointId).Distinct()) SelfLog.Accepted(tpId, location.ToString(), state);
                if (_engine is null)
                {
                    if (!_reportedNoEngine)
                    {
                        _reportedNoEngine = true;
                        SelfLog.Warning($"tracepoints stay pending: {WhyNoEngine ?? "no instrumentation engine"}");
                    }
                    continue;
                }
                var probe = ProbeLocationOf(id, location, spans);
                SafeEngine(e => e.Install(probe));
            }
        }
    }

    private static ProbeLocation ProbeLocationOf(int id, LocationKey location, (bool Line, bool Method) spans) =>
        new(id, location.Path, location.Line, location.MethodName, location.ClassName, location.Stage) { SpanScopes = spans };

    /// <summary>Removes every probe (agent shutdown).</summary>
    public void Clear() => Apply([]);

    private void SafeEngine(Action<IInstrumentationEngine> call)
    {
        if (_engine is null) return;
        try
        {
            call(_engine);
        }
        catch (Exception e)
        {
            SelfLog.Error($"instrumentation engine failed: {e.Message}");
        }
    }

    /// <summary>Identity of a tracepoint's content: equal fingerprints mean "unchanged".</summary>
    internal static string Fingerprint(TracePointConfig tp)
    {
        var sb = new StringBuilder();
        void Add(string? s) => sb.Append(s?.Length ?? -1).Append(':').Append(s).Append('|');
        Add(tp.ID);
        Add(tp.Path);
        sb.Append(tp.LineNumber).Append('|');
        foreach (var (k, v) in tp.Args.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Add(k);
            Add(v);
        }
        sb.Append("w|");
        foreach (var w in tp.Watches) Add(w);
        sb.Append("m|");
        foreach (var m in tp.Metrics)
        {
            Add(m.Name);
            Add(m.Namespace);
            Add(m.Expression);
            Add(m.Unit);
            Add(m.Help);
            sb.Append((int)m.Type).Append('|');
            foreach (var l in m.LabelExpressions)
            {
                Add(l.Key);
                Add(l.Expression);
                Add(l.Static?.StringValue ?? l.Static?.IntValue?.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    ?? l.Static?.DoubleValue?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? l.Static?.BoolValue?.ToString());
            }
        }
        return sb.ToString();
    }
}
