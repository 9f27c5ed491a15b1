using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Deep.Agent.Native;
using Deep.Cli.Common;

namespace Deep.Cli.Run;

/// <summary>
/// <c>deep run [--server URL] [--service-name N] -- &lt;command...&gt;</c>: runs any .NET program with the agent
/// (a startup hook) and the profiler (the <c>CORECLR_*</c> variables), from the tool's agent folder, or built from the source tree on first use.
/// </summary>
public static class RunCommand
{
    /// <summary>The deep profiler's CLSID (the value of <c>ProfilerBridge.ProfilerClsid</c> in the agent).</summary>
    internal const string ProfilerClsid = OtherProfiler.DeepClsid;

    /// <summary>The <c>run</c> verb.</summary>
    public static Command Create()
    {
        var server = ServerUrls.AgentServerOption("The DEEP server's gRPC address for the agent (sets DEEP_SERVICE_URL), e.g. http://localhost:43315");
        var serviceName = new Option<string?>("--service-name")
        {
            Description = "The service name the agent reports (sets DEEP_SERVICE_NAME)",
        };
        var command = new Argument<string[]>("command")
        {
            Description = "The program to run and its arguments, after --",
            Arity = ArgumentArity.OneOrMore,
        };
        var run = new Command("run", "Run a .NET program with the DEEP agent and profiler loaded (no code change).")
        {
            server, serviceName, command,
        };
        run.SetAction((parse, cancellation) =>
        {
            var options = new RunOptions(parse.GetValue(command) ?? [], parse.GetValue(server), parse.GetValue(serviceName));
            return RunAsync(options, Console.Error, cancellation);
        });
        return run;
    }

    /// <summary>Builds what is missing, runs the program, and returns its exit code.</summary>
    internal static async Task<int> RunAsync(RunOptions options, TextWriter messages, CancellationToken cancellation)
    {
        try
        {
            if (options.Command.Count == 0)
            {
                throw new CliException(ExitCodes.Usage, "nothing to run: give the command after --, e.g. deep run -- dotnet MyApp.dll");
            }
            Check(options, Environment.GetEnvironmentVariable);
            var artifacts = await Artifacts.LocateAsync(messages, cancellation).ConfigureAwait(false);
            return await ChildProcess.RunAsync(options, artifacts, cancellation).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            await messages.WriteLineAsync($"deep run: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
    }

    /// <summary>
    /// What stops a run before anything is built or started: another CLR profiler configured in the environment
    /// (a process loads one only, and deep run will neither replace it silently nor run without its own), or a
    /// program whose runtimeconfig.json names a runtime deep does not support.
    /// </summary>
    internal static void Check(RunOptions options, Func<string, string?> environment)
    {
        if (OtherProfiler.In(environment) is { } other)
        {
            throw new CliException(ExitCodes.ProfilerConflict, $"another CLR profiler is configured in this environment: {other.Name}. "
                + "A .NET process loads only one profiler, so deep run does not replace it. To run with deep, unset its "
                + "variables for this run (env -u CORECLR_ENABLE_PROFILING -u CORECLR_PROFILER -u CORECLR_PROFILER_PATH ./deep run ...); "
                + "to keep it, run the program without deep run (DeepAgent.Start() then works without line and method tracepoints)");
        }
        if (TargetRuntime.Of(options.Command, environment)?.WhyUnsupported() is { } unsupported)
        {
            throw new CliException(ExitCodes.UnsupportedRuntime, unsupported);
        }
    }
}

/// <summary>What <c>deep run</c> was asked to do.</summary>
/// <param name="Command">The program and its arguments.</param>
/// <param name="ServerUrl">DEEP_SERVICE_URL for the agent, when given.</param>
/// <param name="ServiceName">DEEP_SERVICE_NAME for the agent, when given.</param>
internal sealed record RunOptions(IReadOnlyList<string> Command, string? ServerUrl, string? ServiceName);

/// <summary>The agent and profiler files a run needs.</summary>
/// <param name="AgentDll">The agent assembly (what <c>deep attach</c> loads into a running, supported process).</param>
/// <param name="ProfilerPath">The profiler's shared library (absolute).</param>
/// <param name="StartupHook">The startup hook <c>deep run</c> names: the loader next to the agent, which loads the agent
/// only into a supported runtime (src/Deep.Agent.Loader).</param>
internal sealed record RunArtifacts(string AgentDll, string ProfilerPath, string StartupHook);

/// <summary>Finds the repository: <c>DEEP_ROOT</c> (set by <c>./deep</c>), else the folder above this program with the solution.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("DEEP_ROOT");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            if (!File.Exists(Path.Combine(fromEnv, "deep-dotnet.slnx")))
            {
                throw new CliException(ExitCodes.Usage, $"DEEP_ROOT is '{fromEnv}', which is not the deep-dotnet repository (no deep-dotnet.slnx there)");
            }
            return Path.GetFullPath(fromEnv);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deep-dotnet.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new CliException(ExitCodes.Usage, "the deep-dotnet repository was not found: run deep through the ./deep script, or set DEEP_ROOT");
    }
}
