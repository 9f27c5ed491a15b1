namespace Deep.Agent.Symbols;

/// <summary>Why a location could not be resolved; the text is meant for the developer who set the tracepoint.</summary>
internal enum ResolutionFailure
{
    /// <summary>No loaded assembly has a document matching the path (it may load later).</summary>
    FileNotFound,
    /// <summary>Several documents match the path equally well.</summary>
    AmbiguousPath,
    /// <summary>The document exists but no method has code at or after the line.</summary>
    NoCodeAtLine,
    /// <summary>The method that owns the line cannot be instrumented.</summary>
    MethodNotInstrumentable,
    /// <summary>The location kind is not supported (yet).</summary>
    Unsupported,
}

/// <summary>The outcome of resolving a path and line: either a <see cref="ResolvedLine"/> or a failure with a reason.</summary>
internal sealed class LineResolution
{
    private LineResolution(ResolvedLine? line, ResolutionFailure? failure, string? error)
    {
        Line = line;
        Failure = failure;
        Error = error;
    }

    /// <summary>The resolved line, when resolution succeeded.</summary>
    public ResolvedLine? Line { get; }

    /// <summary>Why it failed, when it did.</summary>
    public ResolutionFailure? Failure { get; }

    /// <summary>The failure in words a developer can act on.</summary>
    public string? Error { get; }

    /// <summary>A success.</summary>
    public static LineResolution Resolved(ResolvedLine line) => new(line, null, null);

    /// <summary>A failure.</summary>
    public static LineResolution Failed(ResolutionFailure failure, string error) => new(null, failure, error);
}
