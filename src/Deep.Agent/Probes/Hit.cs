using Deep.Agent.Instrumentation;

namespace Deep.Agent.Probes;

/// <summary>One firing of a probe: shared by every action that runs on it (they share the context id).</summary>
internal sealed class Hit
{
    private List<Action>? _completions;

    public Hit(int probeId, HitState values, ProbeFrameLayout layout, long timestampNanos)
    {
        ProbeId = probeId;
        Values = values;
        Layout = layout;
        TimestampNanos = timestampNanos;
        ContextId = Guid.NewGuid().ToString("N");
        Thread = Thread.CurrentThread;
    }

    public int ProbeId { get; }

    /// <summary>The values the instrumented code handed over; valid only until the hit completes.</summary>
    public HitState Values { get; }

    public ProbeFrameLayout Layout { get; }

    /// <summary>Epoch nanoseconds when the probe fired.</summary>
    public long TimestampNanos { get; }

    /// <summary>The id of this hit, shown as <c>context</c> in logs, snapshot attributes and span tags.</summary>
    public string ContextId { get; }

    public Thread Thread { get; }

    /// <summary>Work to finish at the end of the hit (e.g. stopping a span), run on every path.</summary>
    public void OnComplete(Action completion) => (_completions ??= new List<Action>()).Add(completion);

    internal void Complete(Action<Exception> onError)
    {
        if (_completions is null) return;
        for (var i = _completions.Count - 1; i >= 0; i--)
        {
            try
            {
                _completions[i]();
            }
            catch (Exception e)
            {
                onError(e);
            }
        }
    }
}
