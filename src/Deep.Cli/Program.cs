using System.CommandLine;
using System.Runtime.InteropServices;
using Deep.Cli.Attach;
using Deep.Cli.Common;
using Deep.Cli.Demo;
using Deep.Cli.Run;
using Deep.Cli.Server;
using Deep.Cli.Snapshots;
using Deep.Cli.Tracepoints;

namespace Deep.Cli;

/// <summary>The `deep` command. Verbs are added by the issues that build them.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        // Ctrl-C and SIGTERM become cancellation, so `deep server` and `deep snapshot tail` stop cleanly.
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await RunAsync(args, new SystemConsole(), stop.Token).ConfigureAwait(false);
    }

    /// <summary>Parses <paramref name="args"/> and runs the verb, writing to <paramref name="console"/>; returns the exit code.</summary>
    internal static async Task<int> RunAsync(string[] args, ICliConsole console, CancellationToken cancellationToken)
    {
        var root = BuildRoot(console);
        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await console.Error.WriteLineAsync("deep: " + error.Message).ConfigureAwait(false);
            await console.Error.WriteLineAsync("run 'deep --help' (or 'deep <command> --help') for usage").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await console.Error.WriteLineAsync("deep: " + ex.Message).ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Interrupted;
        }
        catch (Exception ex)
        {
            await console.Error.WriteLineAsync("deep: unexpected failure (please report it): " + ex).ConfigureAwait(false);
            return ExitCodes.Unexpected;
        }
    }

    private static RootCommand BuildRoot(ICliConsole console)
    {
        var root = new RootCommand("deep: the DEEP dynamic-instrumentation system for .NET");

        // The client options belong to the commands that talk to a server's HTTP API only: on the root they would
        // also show under `deep server` (which has its own --api-key) and `deep run`/`attach` (whose --server is
        // the gRPC address agents send to).
        var global = new GlobalOptions();
        root.Subcommands.Add(ServerCommand.Create(() => console));
        root.Subcommands.Add(global.AddTo(TracepointCommands.Create(global, () => console)));
        root.Subcommands.Add(global.AddTo(SnapshotCommands.Create(global, () => console)));
        root.Subcommands.Add(global.AddTo(Deep.Cli.Exceptions.ExceptionCommands.Create(global, () => console)));
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(AttachCommand.Create());
        root.Subcommands.Add(Env.EnvCommand.Create(() => console));
        root.Subcommands.Add(DemoCommand.Create(() => console));
        return root;
    }
}
