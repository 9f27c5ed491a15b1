namespace Deep.Cli.Common;

/// <summary>
/// Every exit code of <c>deep</c>, one table for all its commands (documented in docs/cli.md): a code means one thing
/// whichever command ends with it. <c>deep run</c> otherwise ends with its program's own exit code.
/// </summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>An unexpected failure (a bug: the message and stack go to stderr), or building the agent or profiler failed.</summary>
    public const int Unexpected = 1;
    /// <summary>The command line is wrong (unknown option, bad value, bad location or id, <c>DEEP_ROOT</c> not the repository).</summary>
    public const int Usage = 2;
    /// <summary>The server could not be reached.</summary>
    public const int Unreachable = 3;
    /// <summary>The tracepoint, snapshot or process does not exist.</summary>
    public const int NotFound = 4;
    /// <summary>The server refused the input: an invalid tracepoint (each problem printed as <c>field: message</c>), or past a limit.</summary>
    public const int InvalidInput = 5;
    /// <summary>The server wants an API key, or another one.</summary>
    public const int Unauthorized = 6;
    /// <summary><c>deep server</c> could not start (port taken, bad data directory, bad certificate).</summary>
    public const int ServerFailed = 7;
    /// <summary><c>tracepoint add --wait</c>: an agent reported that the tracepoint cannot be installed (it says why).</summary>
    public const int TracepointFailed = 8;
    /// <summary><c>tracepoint add --wait</c>: no agent installed it within <c>--wait-timeout</c>.</summary>
    public const int TimedOut = 9;
    /// <summary><c>deep attach</c>: not a .NET process, or it has no diagnostics socket.</summary>
    public const int NotDotNet = 10;
    /// <summary><c>deep run</c>/<c>attach</c>: the program or process runs a .NET deep does not support.</summary>
    public const int UnsupportedRuntime = 11;
    /// <summary><c>deep run</c>/<c>attach</c>: another CLR profiler is configured or loaded, or deep's is already attached.</summary>
    public const int ProfilerConflict = 12;
    /// <summary><c>deep attach</c>: this user may not use the process's diagnostics socket.</summary>
    public const int PermissionDenied = 13;
    /// <summary><c>deep attach</c>: the runtime refused the profiler.</summary>
    public const int AttachRefused = 14;
    /// <summary><c>deep attach</c>: the profiler is attached but the agent did not start, or did not report in time.</summary>
    public const int AgentFailed = 15;
    /// <summary><c>deep run</c>: the program could not be started (as a shell says for a command it cannot run).</summary>
    public const int CannotStart = 127;
    /// <summary>Interrupted by Ctrl-C or SIGTERM (128 + SIGINT, as a shell reports it).</summary>
    public const int Interrupted = 130;
}
