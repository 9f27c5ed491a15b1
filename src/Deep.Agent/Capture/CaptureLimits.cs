namespace Deep.Agent.Capture;

/// <summary>Per-snapshot capture limits (spec §4).</summary>
public sealed record CaptureLimits(int MaxDepth = 5, int MaxVariables = 1000, int MaxCollectionSize = 10, int MaxStringLength = 1024, int MaxTimeMs = 100)
{
    /// <summary>The spec's defaults.</summary>
    public static CaptureLimits Default { get; } = new();

    /// <summary>These limits with a tracepoint's <c>MAX_*</c> arguments applied.</summary>
    public CaptureLimits WithOverrides(IReadOnlyDictionary<string, string> tracepointArgs) => throw new NotImplementedException();
}
