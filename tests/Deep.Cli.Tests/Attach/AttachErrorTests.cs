using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Deep.Cli.Attach;
using Deep.Cli.Common;
using Microsoft.Diagnostics.NETCore.Client;

namespace Deep.Cli.Tests.Attach;

// What `deep attach` says, and with which exit code, when the diagnostics client fails: the whole command on real
// pids, the diagnostics port on real processes (this test host is a .NET process; `sleep` is not), and each
// exception the package throws, in the shapes it throws them.
public sealed class AttachErrorTests : IDisposable
{
    private const int NoSuchPid = 4_000_000; // above Linux's pid_max (2^22): never a process

    private readonly string _proc = Directory.CreateTempSubdirectory("deep-fake-proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    private static string Text(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    private static async Task<(int Code, string Error)> AttachAsync(int pid)
    {
        var output = new StringWriter();
        var progress = new StringWriter();
        int code = await AttachCommand.RunAsync(new AttachOptions(pid, null, null, TimeSpan.FromSeconds(5)), output, progress, CancellationToken.None);
        return (code, progress.ToString());
    }

    private static TargetProcess DotNetLooking(int pid, bool profilerLoaded = false) =>
        new(pid, "app", MapsReadable: true, "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.1/libcoreclr.so", new Version(10, 0, 1), profilerLoaded, "/tmp");

    private static Process Sleep() => Process.Start("sleep", "120");

    // A fake /proc entry for the pid, so that Explain sees the process as still there.
    private TargetProcess Running(int pid, bool profilerLoaded = false)
    {
        Directory.CreateDirectory(Path.Combine(_proc, Text(pid)));
        return DotNetLooking(pid, profilerLoaded);
    }

    [Theory]
    [InlineData(NoSuchPid)]
    [InlineData(0)]
    [InlineData(-7)]
    public async Task A_pid_that_is_no_process_is_not_found(int pid)
    {
        var (code, error) = await AttachAsync(pid);

        Assert.Equal(ExitCodes.NotFound, code);
        Assert.Equal($"deep attach: there is no process with id {pid}", error.Trim());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("12x")]
    public async Task A_pid_that_is_not_a_number_is_a_usage_error(string pid)
    {
        var console = new BufferedConsole();

        Assert.Equal(ExitCodes.Usage, await Program.RunAsync(["attach", pid], console, CancellationToken.None));
        Assert.Contains(pid, console.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pid_of_a_process_that_is_not_dotnet_is_refused_before_the_diagnostics_client_is_asked()
    {
        using var sleep = Sleep();
        try
        {
            var (code, error) = await AttachAsync(sleep.Id);

            Assert.Equal(ExitCodes.NotDotNet, code);
            Assert.Equal($"deep attach: process {sleep.Id} (sleep) is not a .NET process (no libcoreclr.so loaded)", error.Trim());
        }
        finally
        {
            sleep.Kill();
        }
    }

    [Fact]
    public async Task The_diagnostics_client_finds_no_socket_for_a_process_that_is_not_dotnet()
    {
        using var sleep = Sleep();
        try
        {
            var e = await Assert.ThrowsAsync<CliException>(() => DiagnosticsPort.ProbeAsync(DotNetLooking(sleep.Id), CancellationToken.None));

            Assert.Equal(ExitCodes.NotDotNet, e.ExitCode);
            Assert.Equal($"process {sleep.Id} has no diagnostics socket in /tmp (started with DOTNET_EnableDiagnostics=0, or its runtime is not up yet)", e.Message);
        }
        finally
        {
            sleep.Kill();
        }
    }

    [Fact]
    public async Task The_diagnostics_client_on_a_pid_that_is_no_process_is_not_found()
    {
        var e = await Assert.ThrowsAsync<CliException>(() => DiagnosticsPort.ProbeAsync(DotNetLooking(NoSuchPid), CancellationToken.None));

        Assert.Equal(ExitCodes.NotFound, e.ExitCode);
        Assert.Equal($"there is no process with id {NoSuchPid} (it has exited)", e.Message);
    }

    [Fact]
    public async Task A_dotnet_process_answers_the_probe_and_a_profiler_it_cannot_load_is_refused_with_the_runtimes_hresult()
    {
        // This test host is a .NET process with a diagnostics socket: the probe passes, and AttachProfiler with a
        // library that does not exist makes its runtime answer with an error code (nothing is loaded).
        var self = DotNetLooking(Environment.ProcessId);
        await DiagnosticsPort.ProbeAsync(self, CancellationToken.None);

        var missing = Path.Combine(_proc, "no-such-profiler.so");
        var e = await Assert.ThrowsAsync<CliException>(() =>
            DiagnosticsPort.AttachProfilerAsync(self, Guid.Parse("00000000-1111-2222-3333-444444444444"), missing, [], CancellationToken.None));

        Assert.Equal(ExitCodes.AttachRefused, e.ExitCode);
        Assert.Matches($@"^process {Environment.ProcessId}: the runtime refused the profiler \(HRESULT 0x8[0-9A-F]{{7}}\)$", e.Message);
    }

    [Fact]
    public async Task A_runtime_that_does_not_answer_in_time_is_a_timeout_with_the_refused_code()
    {
        using var release = new ManualResetEventSlim();
        try
        {
            var e = await Assert.ThrowsAsync<CliException>(() =>
                DiagnosticsPort.CallAsync(DotNetLooking(Environment.ProcessId), _ => release.Wait(TimeSpan.FromMinutes(1)), TimeSpan.FromMilliseconds(200), CancellationToken.None));

            Assert.Equal(ExitCodes.AttachRefused, e.ExitCode);
            Assert.Equal($"process {Environment.ProcessId}: the runtime did not answer within 0.2 s (is the process stopped or hung?)", e.Message);
        }
        finally
        {
            release.Set();
        }
    }

    // Each exception in the shape the package throws it (its messages are the package's), on process 41, with
    // whether that process is still there and whether the deep profiler is mapped in it.
    public static TheoryData<string, Exception, bool, bool, int, string> Failures => new()
    {
        {
            "permission denied: whose process it is",
            new ServerNotAvailableException("Unable to connect to the server. Permission denied", new SocketException((int)SocketError.AccessDenied)), true, false,
            ExitCodes.PermissionDenied, "permission denied on /tmp/dotnet-diagnostic-41-*-socket: run deep attach as the user that owns process 41 (or root)"
        },
        {
            "a socket nothing listens on",
            new ServerNotAvailableException("Unable to connect to the server. Connection refused", new SocketException((int)SocketError.ConnectionRefused)), true, false,
            ExitCodes.NotDotNet, "nothing answers on the diagnostics socket of process 41 (ConnectionRefused): its runtime is shutting down, or the socket is stale"
        },
        {
            "the process exited while it was asked",
            new EndOfStreamException("Unable to read beyond the end of the stream."), false, false,
            ExitCodes.NotFound, "there is no process with id 41 (it has exited)"
        },
        {
            "the connection closed on a running process",
            new EndOfStreamException("Unable to read beyond the end of the stream."), true, false,
            ExitCodes.AttachRefused, "process 41: the diagnostics connection closed before the runtime answered (Unable to read beyond the end of the stream.)"
        },
        {
            "the package's connect timeout",
            new TimeoutException(), true, false,
            ExitCodes.AttachRefused, "process 41: the runtime did not accept the diagnostics connection in time (is the process stopped or hung?)"
        },
        {
            "already active, the deep profiler mapped",
            new ProfilerAlreadyActiveException("AttachProfiler failed - A profiler is already loaded."), true, true,
            ExitCodes.ProfilerConflict, "process 41 already has the deep profiler loaded (started with deep run, or attached before)"
        },
        {
            "already active, another profiler",
            new ProfilerAlreadyActiveException("AttachProfiler failed - A profiler is already loaded."), true, false,
            ExitCodes.ProfilerConflict, "process 41 already has another CLR profiler loaded, and a process loads only one (CORPROF_E_PROFILER_ALREADY_ACTIVE)"
        },
        {
            "a runtime that does not know the command",
            new UnsupportedCommandException("AttachProfiler failed - Command is not supported."), true, false,
            ExitCodes.UnsupportedRuntime, "the runtime of process 41 does not accept the request (AttachProfiler failed - Command is not supported.); deep supports .NET 8 to 10"
        },
        {
            "the profiler's own unsupported-runtime code",
            new ServerErrorException("AttachProfiler failed - HRESULT: 0xA0DE0001."), true, false,
            ExitCodes.UnsupportedRuntime, "the deep profiler refused the runtime of process 41 (HRESULT 0xA0DE0001); deep supports .NET 8 to 10"
        },
        {
            "any other error code",
            new ServerErrorException("AttachProfiler failed - HRESULT: 0x80004005."), true, false,
            ExitCodes.AttachRefused, "process 41: the runtime refused the profiler (HRESULT 0x80004005)"
        },
        {
            "an error without a code",
            new ServerErrorException("AttachProfiler - Not supported by this runtime."), true, false,
            ExitCodes.AttachRefused, "process 41: the runtime refused the request: AttachProfiler - Not supported by this runtime."
        },
        {
            "an answer that is no answer",
            new ServerErrorException("AttachProfiler failed - Server responded with unknown response."), true, false,
            ExitCodes.AttachRefused, "process 41: the runtime refused the request: AttachProfiler failed - Server responded with unknown response."
        },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_failure_of_the_diagnostics_client_has_its_message_and_exit_code(string shape, Exception failure, bool running, bool deepMapped, int code, string message)
    {
        var target = running ? Running(41, deepMapped) : DotNetLooking(41, deepMapped);

        var e = DiagnosticsPort.Explain(failure, target, _proc);

        Assert.True(e is not null, shape);
        Assert.Equal((code, message), (e.ExitCode, e.Message));
    }

    [Fact]
    public void Anything_else_is_not_explained_and_stays_a_bug()
    {
        Assert.Null(DiagnosticsPort.Explain(new InvalidOperationException("bug"), Running(49), _proc));
    }
}
