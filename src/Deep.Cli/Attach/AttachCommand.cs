using System.CommandLine;
using System.Globalization;
using Deep.Agent.Native;
using Deep.Cli.Common;
using Deep.Cli.Run;

namespace Deep.Cli.Attach;

/// <summary>
/// <c>deep attach &lt;pid&gt; [--server URL] [--service-name N]</c>: brings the profiler and the agent into a .NET
/// process that is already running. The profiler goes in through the runtime's diagnostics port
/// (<c>AttachProfiler</c>, sent by <see cref="DiagnosticsPort"/>); the profiler then loads the agent through the application's own hostfxr and reports
/// each step to a status file this command follows.
/// </summary>
public static class AttachCommand
{
    /// <summary>The oldest runtime the agent runs on (it is built for net8.0).</summary>
    internal const int MinimumRuntimeMajor = RuntimeSupport.OldestMajor;

    /// <summary>The <c>attach</c> verb.</summary>
    public static Command Create()
    {
        var pid = new Argument<int>("pid") { Description = "The id of the running .NET process" };
        var server = ServerUrls.AgentServerOption("The DEEP server's gRPC address for the agent (DEEP_SERVICE_URL), e.g. http://localhost:43315");
        var serviceName = new Option<string?>("--service-name") { Description = "The service name the agent reports (DEEP_SERVICE_NAME)" };
        var timeout = new Option<double>("--timeout")
        {
            Description = "Seconds to wait for the agent to start in the process",
            DefaultValueFactory = _ => 60,
        };
        var attach = new Command("attach", "Bring the DEEP profiler and agent into a running .NET process (no restart).")
        {
            pid, server, serviceName, timeout,
        };
        attach.SetAction((parse, cancellation) => RunAsync(
            new AttachOptions(parse.GetValue(pid), parse.GetValue(server), parse.GetValue(serviceName), TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout)))),
            Console.Out, Console.Error, cancellation));
        return attach;
    }

    internal static async Task<int> RunAsync(AttachOptions options, TextWriter output, TextWriter progress, CancellationToken cancellation)
    {
        try
        {
            var target = Check(options.Pid);
            await progress.WriteLineAsync($"deep attach: process {target.Pid} ({target.Name}), .NET {target.RuntimeVersion?.ToString() ?? "(version unknown)"}").ConfigureAwait(false);
            // Before building anything: the socket is there and this user may use it (the runtime answers).
            await DiagnosticsPort.ProbeAsync(target, cancellation).ConfigureAwait(false);

            var artifacts = await Artifacts.LocateAsync(progress, cancellation).ConfigureAwait(false);

            var work = Directory.CreateTempSubdirectory("deep-attach-");
            try
            {
                var (clientData, statusPath) = Prepare(work.FullName, options, artifacts, target);
                await progress.WriteLineAsync($"deep attach: attaching the profiler through the diagnostics port of process {target.Pid}").ConfigureAwait(false);
                await DiagnosticsPort.AttachProfilerAsync(target, Guid.Parse(RunCommand.ProfilerClsid), artifacts.ProfilerPath, clientData, cancellation).ConfigureAwait(false);
                await progress.WriteLineAsync("deep attach: profiler attached; waiting for the agent to start").ConfigureAwait(false);
                var started = await FollowStatusAsync(statusPath, options.Timeout, progress, cancellation).ConfigureAwait(false);
                await output.WriteLineAsync($"attached to process {target.Pid} ({target.Name}): {started}").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            finally
            {
                TryDelete(work);
            }
        }
        catch (CliException e)
        {
            await progress.WriteLineAsync("deep attach: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }
    }

    /// <summary>Everything that can be refused before touching the process.</summary>
    internal static TargetProcess Check(int pid, string procRoot = "/proc")
    {
        var target = TargetProcess.Inspect(pid, procRoot) ?? throw new CliException(ExitCodes.NotFound, $"there is no process with id {pid}");
        if (target.MapsReadable && !target.IsDotNet)
        {
            throw new CliException(ExitCodes.NotDotNet, $"process {pid} ({target.Name}) is not a .NET process (no libcoreclr.so loaded)");
        }
        if (target.RuntimeVersion is { } version && version.Major < MinimumRuntimeMajor)
        {
            throw new CliException(ExitCodes.UnsupportedRuntime,
                $"process {pid} runs .NET {version}; the agent needs .NET {MinimumRuntimeMajor} or later");
        }
        if (target.RuntimeVersion is { } newer && newer.Major > RuntimeSupport.NewestMajor)
        {
            throw new CliException(ExitCodes.UnsupportedRuntime,
                $"process {pid} runs .NET {newer}; deep supports .NET {MinimumRuntimeMajor} to {RuntimeSupport.NewestMajor}");
        }
        if (target.OtherProfiler is { } other)
        {
            // A process has one profiler; the runtime would answer "already active" after we asked.
            throw new CliException(ExitCodes.ProfilerConflict,
                $"process {pid} was started with another CLR profiler ({other.Name}) and a process loads only one: "
                + "deep cannot attach; restart it without that profiler's CORECLR_* variables to use deep");
        }
        // Deep.Profiler.so mapped is not proof of an active profiler: after a refused attach the library stays
        // (it is pinned, see ImagePin). The runtime's answer decides; the mapping only words the message.
        return target;
    }

    private static (byte[] ClientData, string StatusPath) Prepare(string directory, AttachOptions options, RunArtifacts artifacts, TargetProcess target)
    {
        // The target may run as another user (deep attach as root): it must read the config and write the status.
        if (OperatingSystem.IsWindows())
        {
            throw new CliException(ExitCodes.NotDotNet, "deep attach works on Linux only");
        }
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var runtime = target.RuntimeVersion ?? new Version(MinimumRuntimeMajor, 0, 0);
        var config = Path.Combine(directory, "deep-agent.runtimeconfig.json");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture,
            $"{{\"runtimeOptions\":{{\"tfm\":\"net{runtime.Major}.0\",\"framework\":{{\"name\":\"Microsoft.NETCore.App\",\"version\":\"{runtime.Major}.{runtime.Minor}.0\"}}}}}}"));
        var status = Path.Combine(directory, "status");
        File.WriteAllText(status, "");
        File.SetUnixFileMode(status, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);

        var entries = new List<KeyValuePair<string, string>>
        {
            new("agent", artifacts.AgentDll),
            new("runtimeconfig", config),
            new("status", status),
            new("profiler", artifacts.ProfilerPath),
        };
        // Like deep run, the agent gets this command's DEEP_* settings, then the options on top.
        foreach (var (name, value) in Settings(options, Environment.GetEnvironmentVariables()))
        {
            entries.Add(new(name, value));
        }
        return (EncodeClientData(entries), status);
    }

    /// <summary>
    /// The client data the profiler reads on attach (Deep.Profiler's AttachRequest): <c>key=value</c> lines, UTF-8.
    /// </summary>
    internal static byte[] EncodeClientData(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var text = new System.Text.StringBuilder();
        foreach (var (key, value) in entries)
        {
            if (value.Contains('\n', StringComparison.Ordinal))
            {
                throw new CliException(ExitCodes.Usage, $"{key} cannot be passed to the process: its value '{value}' has a line break");
            }
            text.Append(key).Append('=').Append(value).Append('\n');
        }
        return System.Text.Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>The agent settings passed along: this command's DEEP_* variables, then the options.</summary>
    internal static IEnumerable<(string Name, string Value)> Settings(AttachOptions options, System.Collections.IDictionary environment)
    {
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in environment)
        {
            if (entry.Key is string name && name.StartsWith("DEEP_", StringComparison.Ordinal) && entry.Value is string value
                && name is not ("DEEP_ROOT" or "DEEP_PROFILER_PATH" or "DEEP_PROFILER_LOG") && !value.Contains('\n', StringComparison.Ordinal))
            {
                settings[name] = value;
            }
        }
        if (!string.IsNullOrEmpty(options.ServerUrl))
        {
            settings["DEEP_SERVICE_URL"] = options.ServerUrl;
        }
        if (!string.IsNullOrEmpty(options.ServiceName))
        {
            settings["DEEP_SERVICE_NAME"] = options.ServiceName;
        }
        return settings.Select(s => (s.Key, s.Value));
    }

    // Prints "progress" lines as the profiler writes them; returns the "ok" text or throws with the "error" text.
    private static async Task<string> FollowStatusAsync(string statusPath, TimeSpan timeout, TextWriter progress, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        int seen = 0;
        while (true)
        {
            var lines = File.ReadAllLines(statusPath);
            for (; seen < lines.Length; seen++)
            {
                var line = lines[seen];
                if (line.StartsWith("ok ", StringComparison.Ordinal))
                {
                    return line[3..];
                }
                if (line.StartsWith("error ", StringComparison.Ordinal))
                {
                    throw new CliException(ExitCodes.AgentFailed, "the profiler is attached but the agent did not start: " + line[6..]);
                }
                if (line.StartsWith("progress ", StringComparison.Ordinal))
                {
                    await progress.WriteLineAsync("deep attach: " + line[9..]).ConfigureAwait(false);
                }
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new CliException(ExitCodes.AgentFailed,
                    $"the profiler is attached but the agent did not report within {timeout.TotalSeconds:0} s (set DEEP_PROFILER_LOG=<file> in the target's environment to see why)");
            }
            await Task.Delay(100, cancellation).ConfigureAwait(false);
        }
    }

    private static void TryDelete(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>What <c>deep attach</c> was asked to do.</summary>
internal sealed record AttachOptions(int Pid, string? ServerUrl, string? ServiceName, TimeSpan Timeout);
