namespace Deep.Cli.Common;

/// <summary>
/// The one expected failure of every <c>deep</c> command: a message a person can act on, and the exit code scripts
/// see (<see cref="ExitCodes"/>). Anything else reaching <c>Program</c> is a bug.
/// </summary>
internal sealed class CliException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
