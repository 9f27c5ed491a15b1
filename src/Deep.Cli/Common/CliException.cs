namespace Deep.Cli.Common;

/// <summary>The exit codes of <c>deep</c> (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>An unexpected failure (a bug): the message and stack go to stderr.</summary>
    public const int Unexpected = 1;
    /// <summary>The command line is wrong (unknown option, bad value).</summary>
    public const int Usage = 2;
    /// <summary>The server could not be reached.</summary>
    public const int Unreachable = 3;
    /// <summary>The tracepoint or snapshot does not exist.</summary>
    public const int NotFound = 4;
    /// <summary>The server refused the request as invalid (it says why).</summary>
    public const int Rejected = 5;
    /// <summary>The server wants an API key, or another one.</summary>
    public const int Unauthorized = 6;
    /// <summary><c>deep server</c> could not start (port taken, bad data directory, bad certificate).</summary>
    public const int ServerFailed = 7;
    /// <summary><c>tracepoint add --wait</c>: an agent reported that the tracepoint cannot be installed (it says why).</summary>
    public const int TracepointFailed = 8;
    /// <summary><c>tracepoint add --wait</c>: no agent installed it within <c>--wait-timeout</c>.</summary>
    public const int TimedOut = 9;
}

/// <summary>An expected failure: a message a person can act on, and the exit code scripts see.</summary>
internal sealed class CliException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
