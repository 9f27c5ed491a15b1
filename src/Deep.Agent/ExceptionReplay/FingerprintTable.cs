using Deep.Agent.Probes;

namespace Deep.Agent.ExceptionReplay;

/// <summary>What to do about one escape of an exception.</summary>
internal enum EscapeOutcome
{
    /// <summary>Nothing more (counted): within the interval after a snapshot, waiting for hooks, or over a limit.</summary>
    Count,
    /// <summary>First time (or the first after the interval): instrument the frames of its stack.</summary>
    Instrument,
    /// <summary>Its frames are instrumented and captured this occurrence: take the snapshot, then remove the hooks.</summary>
    Snapshot,
    /// <summary>
    /// Captured, but the global snapshot cap refused it: nothing is sent (a dropped snapshot); the hooks stay and the
    /// interval is not used up, so the next occurrence is captured.
    /// </summary>
    Dropped,
}

/// <summary>
/// The fingerprints seen, with the limits: at most one snapshot per fingerprint per interval, at most
/// <see cref="MaxInstrumented"/> fingerprints instrumented at once, at most <see cref="MaxEntries"/> remembered, and
/// new fingerprints instrumented at most one a second (bursts of <see cref="DefaultHookBurst"/>): hooking costs a
/// ReJIT and a capture, so a flood of distinct failures pays for one a second, not for each.
/// Thread-safe; pure bookkeeping (the clock is given), so the limits are unit-tested without a process.
/// </summary>
internal sealed class FingerprintTable(TimeSpan interval, int maxInstrumented = FingerprintTable.DefaultMaxInstrumented,
    int maxEntries = FingerprintTable.DefaultMaxEntries, int hookBurst = FingerprintTable.DefaultHookBurst)
{
    public const int DefaultMaxInstrumented = 100;
    public const int DefaultMaxEntries = 10_000;
    public const int DefaultHookBurst = 10;

    /// <summary>One new fingerprint may be instrumented per this much time (after the burst is used).</summary>
    public static readonly TimeSpan HookEvery = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private int _instrumented;
    private double _hookTokens = hookBurst;
    private DateTime? _lastRefill;

    public int MaxInstrumented => maxInstrumented;

    public int MaxEntries => maxEntries;

    public TimeSpan Interval => interval;

    /// <summary>How many fingerprints are instrumented now.</summary>
    public int Instrumented
    {
        get
        {
            lock (_gate) return _instrumented;
        }
    }

    /// <summary>Escapes counted for the fingerprint since its last snapshot (the snapshot reports them).</summary>
    public long CountSinceSnapshot(string fingerprint)
    {
        lock (_gate) return _entries.TryGetValue(fingerprint, out var e) ? e.Count : 0;
    }

    /// <summary>An exception with <paramref name="fingerprint"/> escaped; <paramref name="captured"/>: its frames' values were taken.</summary>
    /// <remarks><paramref name="cap"/>: the process-wide snapshots-per-second cap a snapshot takes from (null: none).</remarks>
    public EscapeOutcome OnEscape(string fingerprint, bool captured, DateTime now, PerSecondCap? cap = null)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(fingerprint, out var entry))
            {
                if (_entries.Count >= maxEntries && !EvictOne(now)) return EscapeOutcome.Count;
                _entries[fingerprint] = entry = new Entry();
            }
            entry.Count++;
            entry.LastSeen = now;
            if (entry.Instrumented)
            {
                if (!captured) return EscapeOutcome.Count;
                // Asked only here, for a snapshot about to be built: an escape that would not snapshot takes nothing.
                if (cap is not null && !cap.TryTake()) return EscapeOutcome.Dropped;
                entry.Instrumented = false;
                _instrumented--;
                entry.LastSnapshot = now;
                return EscapeOutcome.Snapshot;
            }
            if (entry.LastSnapshot is { } last && now - last < interval) return EscapeOutcome.Count;
            if (_instrumented >= maxInstrumented || !TryTakeHook(now)) return EscapeOutcome.Count;
            entry.Instrumented = true;
            entry.InstrumentedAt = now;
            _instrumented++;
            return EscapeOutcome.Instrument;
        }
    }

    /// <summary>The snapshot was taken (or given up): its count starts again.</summary>
    public void ResetCount(string fingerprint)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(fingerprint, out var e)) e.Count = 0;
        }
    }

    /// <summary>Instrumentation could not be done: the fingerprint may be tried again on its next escape.</summary>
    public void Abandon(string fingerprint)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(fingerprint, out var e) && e.Instrumented)
            {
                e.Instrumented = false;
                _instrumented--;
            }
        }
    }

    /// <summary>Instrumented fingerprints that did not recur for an interval: their hooks go (the caller removes them).</summary>
    public List<string> Expire(DateTime now)
    {
        var expired = new List<string>();
        lock (_gate)
        {
            foreach (var (fingerprint, entry) in _entries)
            {
                if (entry.Instrumented && now - entry.LastSeen >= interval)
                {
                    entry.Instrumented = false;
                    _instrumented--;
                    expired.Add(fingerprint);
                }
            }
        }
        return expired;
    }

    // A token bucket: refilled one token per HookEvery up to the burst; a clock that went back refills nothing.
    private bool TryTakeHook(DateTime now)
    {
        if (_lastRefill is { } last)
        {
            if (now > last) _hookTokens = Math.Min(hookBurst, _hookTokens + (now - last) / HookEvery);
            else now = last;
        }
        _lastRefill = now;
        if (_hookTokens < 1) return false;
        _hookTokens -= 1;
        return true;
    }

    // A full table forgets one fingerprint that is not instrumented and whose interval has passed.
    private bool EvictOne(DateTime now)
    {
        foreach (var (fingerprint, entry) in _entries)
        {
            if (!entry.Instrumented && (entry.LastSnapshot is not { } last || now - last >= interval))
            {
                _entries.Remove(fingerprint);
                return true;
            }
        }
        return false;
    }

    private sealed class Entry
    {
        public long Count;
        public DateTime LastSeen;
        public DateTime InstrumentedAt;
        public DateTime? LastSnapshot;
        public bool Instrumented;
    }
}
