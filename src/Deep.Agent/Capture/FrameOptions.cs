namespace Deep.Agent.Capture;

/// <summary>How the call stack is reported.</summary>
public sealed record FrameOptions(bool IncludeStack = true, string? AppRoot = null, IReadOnlyList<string>? InAppInclude = null, IReadOnlyList<string>? InAppExclude = null);
