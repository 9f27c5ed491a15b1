using Deep.Agent.Config;
using Deep.Agent.Tests.Probes;
using Deep.Protocol;
using Deep.Agent.Tests.Diagnostics;

namespace Deep.Agent.Tests.Config;

public class ConfigServiceTests : IDisposable
{
    private readonly ConfigService _config = new();

    public void Dispose() => _config.Dispose();

    [Fact]
    public void A_new_config_notifies_listeners_on_another_thread_with_old_and_new_hash_and_config()
    {
        var changes = new List<(ConfigChange Change, int Thread)>();
        _config.AddListener(c =>
        {
            lock (changes) changes.Add((c, Environment.CurrentManagedThreadId));
        });
        var first = ProbeTestSupport.Tracepoint("a");
        _config.NewConfig(1, "h1", [first]);
        _config.NewConfig(2, "h2", []);
        Assert.True(_config.WaitForNotifications(TimeSpan.FromSeconds(10)));

        Assert.Equal(2, changes.Count);
        Assert.All(changes, c => Assert.NotEqual(Environment.CurrentManagedThreadId, c.Thread));
        Assert.Equal((null, "h1"), (changes[0].Change.OldHash, changes[0].Change.NewHash));
        Assert.Equal([first], changes[0].Change.NewConfig);
        Assert.Equal(("h1", "h2"), (changes[1].Change.OldHash, changes[1].Change.NewHash));
        Assert.Equal([first], changes[1].Change.OldConfig);
        Assert.Empty(changes[1].Change.NewConfig);
        Assert.Equal(2, changes[1].Change.TsNanos);
    }

    [Fact]
    public void No_change_only_moves_the_last_poll_time()
    {
        var notified = 0;
        _config.AddListener(_ => Interlocked.Increment(ref notified));
        _config.NewConfig(1, "h1", [ProbeTestSupport.Tracepoint("a")]);
        _config.NoChange(99);
        Assert.True(_config.WaitForNotifications(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, notified);
        Assert.Equal(99, _config.LastPollNanos);
        Assert.Equal("h1", _config.CurrentHash);
    }

    [Fact]
    public void A_failing_listener_does_not_stop_the_others_and_is_reported()
    {
        using var log = new SelfLogRecorder();
        var reached = 0;
        _config.AddListener(_ => throw new InvalidOperationException("listener broke"));
        _config.AddListener(_ => Interlocked.Increment(ref reached));
        _config.NewConfig(1, "h1", []);
        _config.NewConfig(2, "h2", []);
        Assert.True(_config.WaitForNotifications(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, reached);
        Assert.Contains(log.Errors, e => e.Contains("listener broke", StringComparison.Ordinal));
    }

    [Fact]
    public void Custom_tracepoints_are_added_to_the_server_ones_and_survive_updates_until_disposed()
    {
        IReadOnlyList<TracePointConfig> last = [];
        _config.AddListener(c => last = c.NewConfig);
        var custom = ProbeTestSupport.Tracepoint("custom-1");
        var handle = _config.AddCustom(custom);
        _config.NewConfig(1, "h1", [ProbeTestSupport.Tracepoint("server-1")]);
        Assert.True(_config.WaitForNotifications(TimeSpan.FromSeconds(10)));
        Assert.Equal(["server-1", "custom-1"], last.Select(t => t.ID));

        _config.NewConfig(2, "h2", []);
        Assert.True(_config.WaitForNotifications(TimeSpan.FromSeconds(10)));
        Assert.Equal(["custom-1"], last.Select(t => t.ID));

        handle.Dispose();
        handle.Dispose();
        Assert.True(_config.WaitForNotifications(TimeSpan.FromSeconds(10)));
        Assert.Empty(last);
    }
}
