using Deep.Agent.Instrumentation;

namespace Deep.Agent.Probes;

/// <summary>One firing of a probe: shared by every action that runs on it (they share the context id).</summary>
internal sealed class Hit
{
    private List<Action>? _completions;

    public Hit(int probeId, HitState values, ProbeFrameLayout layout, long timestampNanos, Thread? thread = null, bool awaited = false)
    {
        ProbeId = probeId;
        Values = values;
        Layout = layout;
        TimestampNanos = timestampNanos;
        Thread = thread ?? Thread.CurrentThread;
        Awaited = awaited;
    }

    /// <summary>
    /// The hit runs when the task the method returned completed, not at the method's exit: the stack is the
    /// completing thread's, not the caller's, so a snapshot shows the probed frame only. <see cref="Thread"/> is the
    /// thread the method returned on.
    /// </summary>
    public bool Awaited { get; }

    public int ProbeId { get; }

    /// <summary>The values the instrumented code handed over; valid only until the hit completes.</summary>
    public HitState Values { get; }

    public ProbeFrameLayout Layout { get; }

    /// <summary>Epoch nanoseconds when the probe fired.</summary>
    public long TimestampNanos { get; }

    /// <summary>The id of this hit (32 hex digits), shown as <c>context</c> in logs, snapshot attributes and span tags.</summary>
    public string ContextId => _contextId ??= NewId();

    private string? _contextId;

    /// <summary>
    /// 128 random bits as hex. <see cref="Random.Shared"/> rather than <see cref="Guid.NewGuid"/> or a CSPRNG: ids
    /// need uniqueness, not secrecy, and the OS random source is a system call on the application thread.
    /// </summary>
    internal static string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        return LowerHex(bytes);
    }

    // Convert.ToHexStringLower is .NET 9+; the agent runs on .NET 8 too.
    private static string LowerHex(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[bytes.Length * 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = "0123456789abcdef"[bytes[i] >> 4];
            chars[2 * i + 1] = "0123456789abcdef"[bytes[i] & 0xF];
        }
        return new string(chars);
    }

    /// <summary>16 random bytes for a snapshot id (see <see cref="NewId"/> for why not a CSPRNG).</summary>
    internal static byte[] NewSnapshotId()
    {
        var bytes = new byte[16];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

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
