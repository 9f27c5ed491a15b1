namespace Deep.Protocol;

/// <summary>Wall-clock time in the unit the protocol's timestamps use: nanoseconds since the Unix epoch.</summary>
public static class UnixNanos
{
    /// <summary>Now, read from <paramref name="time"/> (the system's clock when null).</summary>
    public static long Now(TimeProvider? time = null) =>
        ((time ?? TimeProvider.System).GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
}
