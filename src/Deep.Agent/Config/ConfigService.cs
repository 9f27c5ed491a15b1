using System.Collections.Concurrent;
using Deep.Agent.Diagnostics;
using Deep.Protocol;

namespace Deep.Agent.Config;

/// <summary>What listeners are told when the tracepoint set changes (spec §1).</summary>
/// <param name="TsNanos">When the change was received (epoch ns).</param>
/// <param name="OldHash">The server hash before.</param>
/// <param name="NewHash">The server hash now.</param>
/// <param name="OldConfig">Server plus custom tracepoints before.</param>
/// <param name="NewConfig">Server plus custom tracepoints now.</param>
internal sealed record ConfigChange(long TsNanos, string? OldHash, string? NewHash, IReadOnlyList<TracePointConfig> OldConfig, IReadOnlyList<TracePointConfig> NewConfig);

/// <summary>
/// Holds the server's tracepoints, its hash and the last poll time, plus custom tracepoints registered in code, and
/// notifies listeners asynchronously, in order, on one agent thread. One failing listener never stops the others.
/// </summary>
internal sealed class ConfigService : IDisposable
{
    private readonly object _lock = new();
    private readonly List<Action<ConfigChange>> _listeners = new();
    private readonly ConcurrentQueue<ConfigChange> _pending = new();
    private readonly AgentWorker _worker;
    private bool _closed; // under _lock: disposed, nobody listens any more
    private readonly Dictionary<string, TracePointConfig> _custom = new(StringComparer.Ordinal);
    private List<TracePointConfig> _server = new();
    private IReadOnlyList<TracePointConfig> _published = [];
    private long _queued;
    private long _done;

    private readonly TimeProvider _time;

    public ConfigService(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _worker = new AgentWorker("deep-config", Notify);
        _worker.Start();
    }

    /// <summary>The hash the server sent last; null before the first update.</summary>
    public string? CurrentHash { get; private set; }

    /// <summary>When the last poll answered (epoch ns).</summary>
    public long LastPollNanos { get; private set; }

    /// <summary>Server plus custom tracepoints, as last published.</summary>
    public IReadOnlyList<TracePointConfig> Current
    {
        get
        {
            lock (_lock) return _published;
        }
    }

    public void AddListener(Action<ConfigChange> listener)
    {
        lock (_lock) _listeners.Add(listener);
    }

    /// <summary>The poll answered NO_CHANGE: only the last-poll time moves.</summary>
    public void NoChange(long tsNanos)
    {
        lock (_lock) LastPollNanos = tsNanos;
    }

    /// <summary>The poll answered UPDATE: replace the server's set and notify.</summary>
    public void NewConfig(long tsNanos, string? hash, IReadOnlyList<TracePointConfig> tracepoints)
    {
        lock (_lock)
        {
            var oldHash = CurrentHash;
            _server = tracepoints.ToList();
            CurrentHash = hash;
            LastPollNanos = tsNanos;
            Publish(tsNanos, oldHash);
        }
    }

    /// <summary>Adds a tracepoint registered in code; it survives server updates until the handle is disposed.</summary>
    public IDisposable AddCustom(TracePointConfig tracepoint)
    {
        lock (_lock)
        {
            _custom[tracepoint.ID] = tracepoint;
            Publish(UnixNanos.Now(_time), CurrentHash);
        }
        return new CustomHandle(this, tracepoint.ID);
    }

    private void RemoveCustom(string id)
    {
        lock (_lock)
        {
            if (_custom.Remove(id)) Publish(UnixNanos.Now(_time), CurrentHash);
        }
    }

    private void Publish(long tsNanos, string? oldHash)
    {
        var old = _published;
        var now = _server.Concat(_custom.Values).ToList();
        _published = now;
        Interlocked.Increment(ref _queued);
        if (_closed)
        {
            Interlocked.Increment(ref _done); // disposed: nobody listens any more
            return;
        }
        _pending.Enqueue(new ConfigChange(tsNanos, oldHash, CurrentHash, old, now));
        _worker.Wake();
    }

    /// <summary>Waits until every notification queued so far was delivered; false on timeout.</summary>
    public bool WaitForNotifications(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _queued);
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Interlocked.Read(ref _done) < target)
        {
            if (Environment.TickCount64 > deadline) return false;
            Thread.Sleep(2);
        }
        return true;
    }

    // Delivers every queued change, in order, to every listener; one failing listener never stops the others.
    private TimeSpan Notify(WorkerRound round)
    {
        while (_pending.TryDequeue(out var change))
        {
            Action<ConfigChange>[] listeners;
            lock (_lock) listeners = _listeners.ToArray();
            foreach (var listener in listeners)
            {
                try
                {
                    listener(change);
                }
                catch (Exception e)
                {
                    SelfLog.Error($"config listener {listener.Method.DeclaringType?.Name}.{listener.Method.Name} failed: {e.Message}");
                }
            }
            Interlocked.Increment(ref _done);
        }
        return AgentWorker.UntilWoken;
    }

    /// <summary>Delivers what is already queued (within 2 s), then stops: later changes reach nobody.</summary>
    public void Dispose()
    {
        lock (_lock) _closed = true;
        var bound = TimeSpan.FromSeconds(2);
        if (!_worker.IsCurrentThread) WaitForNotifications(bound);
        _worker.Stop(bound);
    }

    private sealed class CustomHandle(ConfigService owner, string id) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.RemoveCustom(id);
        }
    }
}
