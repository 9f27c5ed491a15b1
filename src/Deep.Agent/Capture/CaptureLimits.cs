using System.Globalization;

namespace Deep.Agent.Capture;

/// <summary>Per-snapshot capture limits (spec §4).</summary>
/// <param name="MaxDepth">How deep the object graph is walked: 1 = the frame's variables only, 2 = their fields too, ...</param>
/// <param name="MaxVariables">How many variables one snapshot may hold.</param>
/// <param name="MaxCollectionSize">How many items of a collection are captured (the summary still shows the real size).</param>
/// <param name="MaxStringLength">How many characters of a string are captured.</param>
/// <param name="MaxTimeMs">The time budget for collecting one snapshot's variables.</param>
internal sealed record CaptureLimits(int MaxDepth = 5, int MaxVariables = 1000, int MaxCollectionSize = 10, int MaxStringLength = 1024, int MaxTimeMs = 100)
{
    /// <summary>The spec's defaults: depth 5, 1000 variables, 10 items, 1024 characters, 100 ms.</summary>
    public static CaptureLimits Default { get; } = new();

    /// <summary>
    /// The largest encoded snapshot the agent sends: safely below the DEEP server's default limit of 5,000,000 bytes
    /// (and the 8 MB request limit in front of it), whatever the per-tracepoint limits say. A larger snapshot is
    /// shrunk before it is sent (<see cref="SnapshotSize"/>).
    /// </summary>
    public const int MaxSnapshotBytes = 4_000_000;

    /// <summary>The default of <see cref="MaxVariableBytes"/>: the snapshot cap less room for frames, the tracepoint and attributes.</summary>
    public const int DefaultMaxVariableBytes = 3_500_000;

    /// <summary>
    /// How many bytes the captured variables of one snapshot may take once encoded (values, type names, names). Not
    /// a tracepoint argument: it keeps any combination of the other limits within <see cref="MaxSnapshotBytes"/>.
    /// </summary>
    public int MaxVariableBytes { get; init; } = DefaultMaxVariableBytes;

    /// <summary>
    /// These limits with a tracepoint's <c>MAX_VAR_DEPTH</c>, <c>MAX_VARIABLES</c>, <c>MAX_COLLECTION_SIZE</c>,
    /// <c>MAX_STRING_LENGTH</c> and <c>MAX_TP_PROCESS_TIME</c> arguments applied. A value that is not a positive
    /// integer is ignored (the limit keeps its current value); see <see cref="Invalid"/> to report it.
    /// </summary>
    public CaptureLimits WithOverrides(IReadOnlyDictionary<string, string> tracepointArgs)
    {
        ArgumentNullException.ThrowIfNull(tracepointArgs);
        return this with
        {
            MaxDepth = Read(tracepointArgs, "MAX_VAR_DEPTH", MaxDepth),
            MaxVariables = Read(tracepointArgs, "MAX_VARIABLES", MaxVariables),
            MaxCollectionSize = Read(tracepointArgs, "MAX_COLLECTION_SIZE", MaxCollectionSize),
            MaxStringLength = Read(tracepointArgs, "MAX_STRING_LENGTH", MaxStringLength),
            MaxTimeMs = Read(tracepointArgs, "MAX_TP_PROCESS_TIME", MaxTimeMs),
        };
    }

    /// <summary>These limits with a tracepoint's <c>MAX_*</c> overrides (from its spec) applied.</summary>
    internal CaptureLimits WithOverrides(Deep.Tracepoints.CaptureLimitOverrides overrides) => this with
    {
        MaxDepth = overrides.MaxVarDepth ?? MaxDepth,
        MaxVariables = overrides.MaxVariables ?? MaxVariables,
        MaxCollectionSize = overrides.MaxCollectionSize ?? MaxCollectionSize,
        MaxStringLength = overrides.MaxStringLength ?? MaxStringLength,
        MaxTimeMs = overrides.MaxTpProcessTimeMs ?? MaxTimeMs,
    };

    /// <summary>The <c>MAX_*</c> arguments present in <paramref name="tracepointArgs"/> whose value is not a positive integer, as "NAME=value".</summary>
    public static IReadOnlyList<string> Invalid(IReadOnlyDictionary<string, string> tracepointArgs)
    {
        ArgumentNullException.ThrowIfNull(tracepointArgs);
        var bad = new List<string>();
        foreach (var key in (string[])["MAX_VAR_DEPTH", "MAX_VARIABLES", "MAX_COLLECTION_SIZE", "MAX_STRING_LENGTH", "MAX_TP_PROCESS_TIME"])
        {
            if (tracepointArgs.TryGetValue(key, out var text) && !TryParse(text, out _))
            {
                bad.Add(key + "=" + text);
            }
        }
        return bad;
    }

    private static int Read(IReadOnlyDictionary<string, string> args, string key, int current) =>
        args.TryGetValue(key, out var text) && TryParse(text, out var value) ? value : current;

    /// <summary>The one rule for a <c>MAX_*</c> value, shared by the tracepoint parser: a positive whole number, spaces ignored.</summary>
    internal static bool TryParse(string? text, out int value) =>
        int.TryParse(text?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value > 0;
}
