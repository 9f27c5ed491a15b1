using System.Globalization;
using System.Text;

namespace Deep.Agent.Diagnostics;

/// <summary>
/// Turns a stream of dropped snapshots into a few log lines: the first drop after a quiet interval is written at
/// once, the ones after it are counted by reason and written as one line per <see cref="Interval"/> (a capped
/// probe firing thousands of times a second writes one line, not thousands). Thread-safe; never throws.
/// </summary>
internal sealed class DropSummary
{
    /// <summary>Distinct reasons kept per interval; more are counted under "other reasons".</summary>
    internal const int MaxReasons = 16;

    /// <summary>A reason's text is cut to this many characters (a server's refusal may quote a lot).</summary>
    internal const int MaxReasonLength = 300;

    private readonly object _lock = new();
    private readonly Action<string> _write;
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private AgentWorker? _worker; // started at the first drop
    private long _flushAt; // under _lock: when the counted drops are written (TimeProvider.System timestamp)
    private long _other;
    private bool _armed;

    public DropSummary(Action<string> write, TimeSpan interval)
    {
        _write = write;
        Interval = interval;
    }

    /// <summary>How long drops are collected before their summary line is written.</summary>
    public TimeSpan Interval { get; set; }

    /// <summary>Records one dropped snapshot.</summary>
    public void Add(string reason)
    {
        if (reason.Length > MaxReasonLength) reason = reason[..MaxReasonLength] + "...";
        string? immediate = null;
        lock (_lock)
        {
            if (!_armed)
            {
                // The first drop after a quiet interval: say it now, then collect for one interval.
                _armed = true;
                immediate = $"snapshot dropped: {reason} (further drops are summarized every {Seconds(Interval)})";
                Arm();
            }
            else if (_counts.ContainsKey(reason) || _counts.Count < MaxReasons)
            {
                _counts[reason] = _counts.GetValueOrDefault(reason) + 1;
            }
            else
            {
                _other++;
            }
        }
        if (immediate is not null) _write(immediate);
    }

    /// <summary>Writes the summary of what was counted so far (the timer's job; tests call it directly).</summary>
    internal void Flush()
    {
        string? line = null;
        lock (_lock)
        {
            var total = _other;
            foreach (var count in _counts.Values) total += count;
            if (total == 0)
            {
                _armed = false; // quiet: the next drop is written at once again
                return;
            }
            var sb = new StringBuilder();
            sb.Append(total.ToString(CultureInfo.InvariantCulture)).Append(" more snapshot(s) dropped in the last ")
                .Append(Seconds(Interval)).Append(": ");
            var first = true;
            foreach (var (reason, count) in _counts.OrderByDescending(kv => kv.Value))
            {
                if (!first) sb.Append("; ");
                sb.Append(count.ToString(CultureInfo.InvariantCulture)).Append(" x ").Append(reason);
                first = false;
            }
            if (_other > 0) sb.Append(first ? "" : "; ").Append(_other.ToString(CultureInfo.InvariantCulture)).Append(" x other reasons");
            line = sb.ToString();
            _counts.Clear();
            _other = 0;
            Arm(); // drops are still coming: collect another interval
        }
        _write(line);
    }

    private void Arm()
    {
        try
        {
            var time = TimeProvider.System;
            _flushAt = time.GetTimestamp() + (long)(Interval.TotalSeconds * time.TimestampFrequency);
            if (_worker is null)
            {
                _worker = new AgentWorker("deep-drops", FlushRound);
                _worker.Start();
            }
            _worker.Wake();
        }
        catch (Exception)
        {
            // Diagnostics must never hurt the host; without a worker the counts wait for the next drop's flush.
            _armed = false;
        }
    }

    // Writes the summary when its interval is over; quiet, waits for the next first drop.
    private TimeSpan FlushRound(WorkerRound round)
    {
        lock (_lock)
        {
            if (!_armed) return AgentWorker.UntilWoken;
            var left = TimeProvider.System.GetElapsedTime(TimeProvider.System.GetTimestamp(), _flushAt);
            if (left > TimeSpan.Zero) return left;
        }
        Flush();
        return TimeSpan.Zero;
    }

    private static string Seconds(TimeSpan t) =>
        t.TotalSeconds >= 1 ? t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s" : t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";
}
