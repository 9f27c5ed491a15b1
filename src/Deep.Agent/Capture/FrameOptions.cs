namespace Deep.Agent.Capture;

/// <summary>How the call stack is reported (the tracepoint's <c>stack_type</c> and the agent's in-app settings).</summary>
/// <param name="IncludeStack"><c>false</c> for <c>stack_type=no_stack</c>: only the probed frame is reported.</param>
/// <param name="AppRoot"><c>DEEP_APP_ROOT</c>: a path prefix; frames whose file is under it are the application's,
/// and their <c>short_path</c> is relative to it.</param>
/// <param name="InAppInclude"><c>DEEP_IN_APP_INCLUDE</c>: namespace or path prefixes that are the application's.</param>
/// <param name="InAppExclude"><c>DEEP_IN_APP_EXCLUDE</c>: namespace or path prefixes that are not (wins over include).</param>
internal sealed record FrameOptions(bool IncludeStack = true, string? AppRoot = null, IReadOnlyList<string>? InAppInclude = null, IReadOnlyList<string>? InAppExclude = null);
