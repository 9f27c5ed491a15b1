using System.CommandLine;
using System.Text;
using Deep.Cli.Common;
using Deep.Cli.Run;

namespace Deep.Cli.Env;

/// <summary>
/// <c>deep env [--server URL] [--service-name N] [--agent-dir DIR] [--format shell|env|dockerfile|kubernetes]</c>:
/// prints the environment variables that load the agent (its startup-hook loader) and the profiler into a .NET
/// program, so that a shell, a container or a pod runs it with deep and without the <c>deep run</c> wrapper. The
/// variables are the ones <c>deep run</c> sets (<see cref="ChildProcess.Environment"/>).
/// </summary>
internal static class EnvCommand
{
    /// <summary>The output forms, by <c>--format</c>.</summary>
    internal static readonly string[] Formats = ["shell", "env", "dockerfile", "kubernetes"];

    public static Command Create(Func<ICliConsole> console)
    {
        var server = ServerUrls.AgentServerOption("The DEEP server's gRPC address for the agent (DEEP_SERVICE_URL), e.g. http://deep:43315");
        var serviceName = new Option<string?>("--service-name")
        {
            Description = "The service name the agent reports (DEEP_SERVICE_NAME)",
        };
        var agentDir = new Option<string?>("--agent-dir")
        {
            Description = "The absolute folder the agent files are in where the program runs (e.g. /opt/deep-agent in an image); default: this tool's own agent folder",
        };
        var format = new Option<string>("--format")
        {
            Description = "shell: export lines for eval; env: NAME=value lines (env $(...), docker --env-file); dockerfile: ENV lines; kubernetes: a container's env entries",
            DefaultValueFactory = _ => "shell",
        };
        format.AcceptOnlyFromAmong(Formats);
        var command = new Command("env", "Print the environment variables that load the DEEP agent and profiler (for a shell, a Dockerfile or a Kubernetes pod).")
        {
            server, serviceName, agentDir, format,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var artifacts = await ArtifactsFor(parse.GetValue(agentDir), cancellation).ConfigureAwait(false);
            var options = new RunOptions([], parse.GetValue(server), parse.GetValue(serviceName));
            var variables = ChildProcess.Environment(options, artifacts, _ => null).ToList();
            await console().Out.WriteAsync(Render(variables, parse.GetValue(format) ?? "shell")).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The files named by <c>--agent-dir</c> (not checked: they are where the program runs), else the tool's own.</summary>
    private static async Task<RunArtifacts> ArtifactsFor(string? agentDir, CancellationToken cancellation)
    {
        if (agentDir is not null)
        {
            return InFolder(agentDir);
        }
        return await Artifacts.LocateAsync(Console.Error, cancellation).ConfigureAwait(false);
    }

    /// <summary>The agent files under <paramref name="agentDir"/>, which must be an absolute path without characters that
    /// would need quoting in one of the forms (the folder is where the program will run, not necessarily here).</summary>
    internal static RunArtifacts InFolder(string agentDir)
    {
        if (agentDir.Length == 0 || !agentDir.StartsWith('/'))
        {
            throw new CliException(ExitCodes.Usage, $"--agent-dir '{agentDir}' is not an absolute path: give the folder as the program will see it, e.g. /opt/deep-agent");
        }
        if (agentDir.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\'' or '\\' or '$' or '`' or ':'))
        {
            throw new CliException(ExitCodes.Usage, $"--agent-dir '{agentDir}' has a space, quote, ':' or shell character in it: use a plain path such as /opt/deep-agent");
        }
        var folder = agentDir.TrimEnd('/');
        return new RunArtifacts(folder + "/" + Artifacts.AgentFile, folder + "/" + Artifacts.ProfilerFile, folder + "/" + Artifacts.LoaderFile);
    }

    /// <summary>The variables in one of the <see cref="Formats"/>.</summary>
    internal static string Render(IReadOnlyList<(string Name, string Value)> variables, string format)
    {
        var text = new StringBuilder();
        if (format == "kubernetes")
        {
            text.Append("env:\n");
        }
        foreach (var (name, value) in variables)
        {
            switch (format)
            {
                case "shell":
                    text.Append("export ").Append(name).Append('=').Append(ShellQuote(value)).Append('\n');
                    break;
                case "env":
                    if (value.Any(c => char.IsWhiteSpace(c)))
                    {
                        throw new CliException(ExitCodes.Usage, $"{name}='{value}' has a space in it, which the env form cannot carry: use --format shell");
                    }
                    text.Append(name).Append('=').Append(value).Append('\n');
                    break;
                case "dockerfile":
                    text.Append("ENV ").Append(name).Append('=').Append(DoubleQuote(value)).Append('\n');
                    break;
                case "kubernetes":
                    text.Append("  - name: ").Append(name).Append('\n').Append("    value: ").Append(DoubleQuote(value)).Append('\n');
                    break;
                default:
                    throw new CliException(ExitCodes.Usage, $"unknown format '{format}': one of {string.Join(", ", Formats)}");
            }
        }
        return text.ToString();
    }

    // POSIX shell: inside single quotes nothing is special but the quote itself.
    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    // Dockerfile ENV and YAML double-quoted scalars both take \" and \\ escapes.
    private static string DoubleQuote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
