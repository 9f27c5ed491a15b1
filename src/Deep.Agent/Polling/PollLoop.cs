using Deep.Agent.Config;
using Deep.Agent.Diagnostics;
using Deep.Agent.Settings;
using Deep.Agent.Transport;
using Deep.Protocol;
using Deep.Protocol.Grpc;

namespace Deep.Agent.Polling;

/// <summary>
/// Polls PollConfig on its own background thread: every <c>DEEP_POLL_TIMER</c>, with a deadline per call; asks for
/// long polling (header <c>deep-long-poll</c>) once it has a hash, and works the same against a server that ignores
/// it; backs off exponentially with jitter while the server is unreachable and recovers when it returns.
/// </summary>
internal sealed class PollLoop : IDisposable
{
    private readonly AgentSettings _settings;
    private readonly IDeepTransport _transport;
    private readonly ConfigService _config;
    private readonly Resource _resource;
    private readonly Backoff _backoff;
    private readonly AgentWorker _worker;
    private long _polls;
    private long _failures;

    private readonly TimeProvider _time;

    public PollLoop(AgentSettings settings, IDeepTransport transport, ConfigService config, Resource resource, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _settings = settings;
        _transport = transport;
        _config = config;
        _resource = resource;
        _backoff = new Backoff(TimeSpan.FromMilliseconds(Math.Min(1000, settings.PollInterval.TotalMilliseconds)),
            TimeSpan.FromMilliseconds(Math.Max(60_000, settings.PollInterval.TotalMilliseconds)));
        _worker = new AgentWorker("deep-poll", round => PollRound(round.Stopping));
    }

    /// <summary>Polls answered.</summary>
    public long Polls => Interlocked.Read(ref _polls);

    /// <summary>Polls that failed.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void Start() => _worker.Start();

    private TimeSpan PollRound(CancellationToken token)
    {
        try
        {
            var wait = PollOnce(token);
            _backoff.Reset();
            return wait;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return AgentWorker.Finished;
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            var wait = _backoff.Next();
            var message = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Detail}" : e.Message;
            if (_backoff.Failures == 1) SelfLog.Warning($"poll to {_settings.ServiceUrl} failed ({message}); retrying with backoff");
            else SelfLog.Debug($"poll failed again ({message}); next try in {wait.TotalMilliseconds:F0} ms");
            return wait;
        }
    }

    /// <summary>One poll; returns how long to wait before the next.</summary>
    internal TimeSpan PollOnce(CancellationToken token)
    {
        var hash = _config.CurrentHash;
        var request = new PollRequest { TsNanos = (ulong)UnixNanos.Now(_time), CurrentHash = hash ?? "", Resource = _resource };
        // Long polling only makes sense once the server knows what we have.
        TimeSpan? longPoll = hash is not null && _settings.LongPoll > TimeSpan.Zero ? _settings.LongPoll : null;
        var timeout = _settings.CallTimeout + (longPoll ?? TimeSpan.Zero);
        var started = _time.GetTimestamp();
        var response = _transport.PollAsync(request, longPoll, timeout, token).GetAwaiter().GetResult();
        var elapsed = _time.GetElapsedTime(started);
        Interlocked.Increment(ref _polls);
        if (response.ResponseType == ResponseType.Update)
        {
            SelfLog.Debug($"poll: update to hash {response.CurrentHash} with {response.Response.Count} tracepoint(s)");
            _config.NewConfig((long)response.TsNanos, response.CurrentHash, response.Response);
            // After a change (the first answer included), ask again right away with the new hash: a long-polling
            // server then holds the next answer; one that ignores the header answers NO_CHANGE at once.
            return _settings.LongPoll > TimeSpan.Zero ? TimeSpan.Zero : _settings.PollInterval;
        }
        _config.NoChange((long)response.TsNanos);
        // A server that held the poll supports long polling: poll again at once. Otherwise wait the interval.
        return longPoll is { } lp && elapsed >= lp * 0.5 ? TimeSpan.Zero : _settings.PollInterval;
    }

    public void Dispose() => _worker.Stop(TimeSpan.FromSeconds(2));
}
