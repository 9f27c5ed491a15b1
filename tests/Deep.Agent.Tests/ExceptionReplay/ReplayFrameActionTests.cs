using Deep.Abi;
using Deep.Agent.ExceptionReplay;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Tests.Probes;

namespace Deep.Agent.Tests.ExceptionReplay;

/// <summary>
/// A replay hook through the probe runtime, as its exception-only exit probe calls it: only an exception of a type a
/// waiting fingerprint has gets its frame's values attached; others pass untouched, and a disarmed hook takes nothing.
/// </summary>
public sealed class ReplayFrameActionTests
{
    private readonly CaptureStore _store = new();
    private readonly AwaitedTypes _awaited = new();
    private readonly int _id = ProbeTestSupport.NewProbeId();

    public ReplayFrameActionTests()
    {
        var layout = new ProbeFrameLayout(
            [new ProbeSlot("order", typeof(int), SlotKind.Argument), new ProbeSlot("exception", typeof(Exception), SlotKind.Exception)],
            typeof(ReplayFrameActionTests).GetMethod(nameof(Leave), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!,
            "ReplayFrameActionTests.cs", 1, -1, []);
        ProbeRuntime.Table.SetActions(_id, [new ReplayFrameAction(_store, _awaited)]);
        ProbeRuntime.Table.Bind(_id, layout);
    }

    // What the hook does when an exception leaves the method with `order` as its argument.
    private void Leave(Exception exception, int order)
    {
        if (!ProbeRuntime.Enter(_id)) return;
        ProbeRuntime.Value(order, 0);
        ProbeRuntime.ValueObject(exception, 1);
        ProbeRuntime.Fire(_id);
    }

    [Fact]
    public void Only_an_exception_of_an_awaited_type_gets_the_frame_s_values()
    {
        _awaited.Set([typeof(InvalidOperationException), typeof(KeyNotFoundException)]);
        var awaited = new InvalidOperationException("awaited");
        var other = new ArgumentException("another failure through the same method");
        var derived = new ObjectDisposedException("a subtype is another fingerprint");

        Leave(awaited, 7);
        Leave(other, 8);
        Leave(derived, 9);

        var frame = Assert.Single(_store.Get(awaited));
        Assert.Equal(7, Assert.Single(frame.Values).Value);
        Assert.False(_store.Has(other));
        Assert.False(_store.Has(derived));
    }

    [Fact]
    public void A_hook_no_fingerprint_waits_for_takes_nothing()
    {
        var exception = new InvalidOperationException("nobody waits");
        Leave(exception, 1);
        _awaited.Set([typeof(InvalidOperationException)]);
        _awaited.Set([]);
        Leave(exception, 2);
        Assert.False(_store.Has(exception));
    }
}
