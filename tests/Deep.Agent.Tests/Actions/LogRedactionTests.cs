using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Tests.Probes;
using Deep.Agent.Triggers;

namespace Deep.Agent.Tests.Actions;

/// <summary>A log line must not leak what a snapshot redacts.</summary>
public class LogRedactionTests
{
    private static ProbeFrameLayout Layout() => new(
        [new ProbeSlot("user", typeof(string), SlotKind.Local), new ProbeSlot("password", typeof(string), SlotKind.Local)],
        typeof(LogRedactionTests).GetMethod(nameof(Layout), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!,
        "/src/Shop/Login.cs", 12, 0, []);

    private static (Collected Collected, TriggerHandler Handler, int Probe) Install(params (string, string)[] args)
    {
        var collected = new Collected();
        var handler = new TriggerHandler(Collected.Context(collected), ProbeRuntime.Table, new BindingEngine(_ => Layout()));
        handler.Apply([ProbeTestSupport.Tracepoint("tp-log", "Login.cs", 12, [("fire_count", "-1"), ("fire_period", "0"), .. args])]);
        return (collected, handler, handler.Probes.Single().Value);
    }

    private static void Hit(int probe, string user, string password)
    {
        Assert.True(ProbeRuntime.Enter(probe));
        ProbeRuntime.Value(user, 0);
        ProbeRuntime.Value(password, 1);
        ProbeRuntime.Fire(probe);
    }

    [Fact]
    public void A_log_point_writes_redacted_names_as_redacted_and_the_rest_in_full()
    {
        var (collected, handler, probe) = Install(("snapshot", "no_collect"), ("log_msg", "login {user} with {password} ({password.Length} chars, \"password\" literal: {\"password\".Length})"));

        Hit(probe, "ada", "hunter2");

        var line = Assert.Single(collected.Logs).Message;
        Assert.Equal("login ada with [redacted] ([redacted] chars, \"password\" literal: 8)", line);
        Assert.DoesNotContain("hunter2", line, StringComparison.Ordinal);
        handler.Clear();
    }

    [Fact]
    public void A_snapshot_log_message_is_redacted_like_its_variables()
    {
        var (collected, handler, probe) = Install(("log_msg", "login {user}: {password}"));

        Hit(probe, "ada", "hunter2");

        var snapshot = Assert.Single(collected.Snapshots);
        Assert.Equal("login ada: [redacted]", snapshot.LogMsg);
        Assert.DoesNotContain("hunter2", Assert.Single(collected.Logs).Message, StringComparison.Ordinal);
        handler.Clear();
    }
}
