using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Deep.Cli.Common;

namespace Deep.Cli.Run;

/// <summary>
/// Runs the user's program with the agent and profiler variables, sharing this process's stdin, stdout and stderr,
/// forwarding termination signals, and ending with its exit code.
/// </summary>
internal static class ChildProcess
{
    public static async Task<int> RunAsync(RunOptions options, RunArtifacts artifacts, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(options.Command[0]) { UseShellExecute = false };
        foreach (var argument in options.Command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in Environment(options, artifacts, System.Environment.GetEnvironmentVariable))
        {
            info.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CliException(ExitCodes.CannotStart, $"'{options.Command[0]}' could not be started");
        }
        catch (Win32Exception e)
        {
            throw new CliException(ExitCodes.CannotStart, $"'{options.Command[0]}' could not be started: {e.Message}");
        }

        using (process)
        using (Forward(process, PosixSignal.SIGTERM))
        using (Forward(process, PosixSignal.SIGQUIT))
        using (Forward(process, PosixSignal.SIGHUP))
        using (ForwardInterrupt(process))
        {
            // Cancellation (Ctrl-C reaching System.CommandLine) is not a reason to leave the program behind: wait.
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return process.ExitCode;
        }
    }

    /// <summary>The variables the program gets on top of the inherited environment (which keeps every DEEP_*).</summary>
    internal static IEnumerable<(string Name, string Value)> Environment(RunOptions options, RunArtifacts artifacts, Func<string, string?> current)
    {
        var hooks = current("DOTNET_STARTUP_HOOKS");
        yield return ("DOTNET_STARTUP_HOOKS", string.IsNullOrEmpty(hooks) ? artifacts.StartupHook : artifacts.StartupHook + Path.PathSeparator + hooks);
        yield return ("CORECLR_ENABLE_PROFILING", "1");
        yield return ("CORECLR_PROFILER", RunCommand.ProfilerClsid);
        yield return ("CORECLR_PROFILER_PATH", artifacts.ProfilerPath);
        if (!string.IsNullOrEmpty(options.ServerUrl))
        {
            yield return ("DEEP_SERVICE_URL", options.ServerUrl);
        }
        if (!string.IsNullOrEmpty(options.ServiceName))
        {
            yield return ("DEEP_SERVICE_NAME", options.ServiceName);
        }
    }

    private static PosixSignalRegistration Forward(Process process, PosixSignal signal) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true; // we stay until the program ends, and end with its exit code
            Send(process, signal);
        });

    private static PosixSignalRegistration ForwardInterrupt(Process process) =>
        PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            // Ctrl-C at a terminal already reaches the program (same process group); only a SIGINT sent to us alone
            // (no terminal) needs passing on.
            if (Console.IsInputRedirected)
            {
                Send(process, PosixSignal.SIGINT);
            }
        });

    private static void Send(Process process, PosixSignal signal)
    {
        try
        {
            if (!process.HasExited)
            {
                _ = Kill(process.Id, SignalNumber(signal));
            }
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }
    }

    private static int SignalNumber(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        _ => 15,
    };

    // DllImport rather than LibraryImport: the CLI project does not allow unsafe code for a source-generated stub.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
