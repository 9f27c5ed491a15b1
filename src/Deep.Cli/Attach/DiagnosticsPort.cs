using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Deep.Cli.Common;
using Microsoft.Diagnostics.NETCore.Client;

namespace Deep.Cli.Attach;

/// <summary>
/// <c>deep attach</c>'s side of the runtime's diagnostics port, through <see cref="DiagnosticsClient"/>
/// (Microsoft.Diagnostics.NETCore.Client). The package finds the socket where the target made it: in the target's
/// TMPDIR (read from <c>/proc/&lt;pid&gt;/environ</c>, this process's temp folder when unreadable), or under
/// <c>/proc/&lt;pid&gt;/root</c> for a process in another PID namespace. Every failure becomes one
/// <see cref="CliException"/> with its exit code.
/// </summary>
internal static partial class DiagnosticsPort
{
    /// <summary>How long the runtime may take to answer a request (AttachProfiler answers after InitializeForAttach).</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    // The profiler's InitializeForAttach refused this runtime's version (HResults.DEEP_E_UNSUPPORTED_RUNTIME).
    private const uint ProfilerUnsupportedRuntime = 0xA0DE0001;

    /// <summary>
    /// Asks the runtime for its environment, a request that changes nothing, so that a missing socket or a socket
    /// this user may not use is reported before anything is built or sent.
    /// </summary>
    public static Task ProbeAsync(TargetProcess target, CancellationToken cancellation) =>
        CallAsync(target, client => client.GetProcessEnvironment(), AnswerTimeout, cancellation);

    /// <summary>
    /// The attach request's own timeout field: how long the runtime may wait for a background GC to finish before it
    /// loads the profiler. The runtime reads that field as milliseconds while the package writes whole seconds of the
    /// TimeSpan it is given, so the seconds given here are the milliseconds meant (30,000 ms).
    /// </summary>
    private static readonly TimeSpan RuntimeGcWait = TimeSpan.FromSeconds(AnswerTimeout.TotalMilliseconds);

    /// <summary>Sends AttachProfiler; returns once the runtime accepted the profiler.</summary>
    public static Task AttachProfilerAsync(TargetProcess target, Guid clsid, string profilerPath, byte[] clientData, CancellationToken cancellation) =>
        CallAsync(target, client => client.AttachProfiler(RuntimeGcWait, clsid, profilerPath, clientData), AnswerTimeout, cancellation);

    internal static async Task CallAsync(TargetProcess target, Action<DiagnosticsClient> request, TimeSpan timeout, CancellationToken cancellation)
    {
        // The package's requests are synchronous and wait for the answer without a bound: wait for them here, bounded.
        var call = Task.Run(() => request(new DiagnosticsClient(target.Pid)), CancellationToken.None);
        try
        {
            await call.WaitAsync(timeout, cancellation).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!call.IsCompleted)
        {
            throw new CliException(ExitCodes.AttachRefused,
                $"process {target.Pid}: the runtime did not answer within {timeout.TotalSeconds:0.#} s (is the process stopped or hung?)");
        }
        catch (Exception e) when (Explain(e, target) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>What a failure of the diagnostics client means for the user; null for anything unexpected (a bug).</summary>
    internal static CliException? Explain(Exception e, TargetProcess target, string procRoot = "/proc")
    {
        int pid = target.Pid;
        bool gone = !Directory.Exists(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture)));
        var socketPattern = Path.Combine(target.TempDirectory, $"dotnet-diagnostic-{pid}-*-socket");
        switch (e)
        {
            case ServerNotAvailableException or IOException when gone:
                return new CliException(ExitCodes.NotFound, $"there is no process with id {pid} (it has exited)");
            case ServerNotAvailableException { InnerException: SocketException { SocketErrorCode: SocketError.AccessDenied } }:
            case UnauthorizedAccessException:
                return new CliException(ExitCodes.PermissionDenied,
                    $"permission denied on {socketPattern}: run deep attach as the user that owns process {pid} (or root)");
            case ServerNotAvailableException { InnerException: SocketException socket }:
                return new CliException(ExitCodes.NotDotNet,
                    $"nothing answers on the diagnostics socket of process {pid} ({socket.SocketErrorCode}): its runtime is shutting down, or the socket is stale");
            case ServerNotAvailableException:
                return new CliException(ExitCodes.NotDotNet,
                    $"process {pid} has no diagnostics socket in {target.TempDirectory} (started with DOTNET_EnableDiagnostics=0, or its runtime is not up yet)");
            case ProfilerAlreadyActiveException:
                // Deep.Profiler.so mapped only words the message: after a refused attach the library stays mapped, inactive.
                return new CliException(ExitCodes.ProfilerConflict, target.ProfilerLoaded
                    ? $"process {pid} already has the deep profiler loaded (started with deep run, or attached before)"
                    : $"process {pid} already has another CLR profiler loaded, and a process loads only one (CORPROF_E_PROFILER_ALREADY_ACTIVE)");
            case UnsupportedCommandException:
                return new CliException(ExitCodes.UnsupportedRuntime,
                    $"the runtime of process {pid} does not accept the request ({e.Message}); deep supports .NET {RuntimeSupportRange}");
            case ServerErrorException when HResultOf(e.Message) is ProfilerUnsupportedRuntime:
                return new CliException(ExitCodes.UnsupportedRuntime,
                    $"the deep profiler refused the runtime of process {pid} (HRESULT 0x{ProfilerUnsupportedRuntime:X8}); deep supports .NET {RuntimeSupportRange}");
            case ServerErrorException when HResultOf(e.Message) is { } hr:
                return new CliException(ExitCodes.AttachRefused, $"process {pid}: the runtime refused the profiler (HRESULT 0x{hr:X8})");
            case DiagnosticsClientException:
                return new CliException(ExitCodes.AttachRefused, $"process {pid}: the runtime refused the request: {e.Message}");
            case IOException:
                return new CliException(ExitCodes.AttachRefused, $"process {pid}: the diagnostics connection closed before the runtime answered ({e.Message})");
            case TimeoutException:
                // The package's own connect timeout (its waits for an answer have none).
                return new CliException(ExitCodes.AttachRefused, $"process {pid}: the runtime did not accept the diagnostics connection in time (is the process stopped or hung?)");
            default:
                return null;
        }
    }

    private static string RuntimeSupportRange => $"{Deep.Agent.Native.RuntimeSupport.OldestMajor} to {Deep.Agent.Native.RuntimeSupport.NewestMajor}";

    // The package puts the runtime's error code in its message only ("AttachProfiler failed - HRESULT: 0x80004005.").
    private static uint? HResultOf(string message) =>
        HResult().Match(message) is { Success: true } match ? uint.Parse(match.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"HRESULT: 0x([0-9A-Fa-f]{8})")]
    private static partial Regex HResult();
}
