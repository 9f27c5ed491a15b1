using System.CommandLine;
using Deep.Cli.Run;

// `Deep.RunHost run [...] -- <command...>` is `deep run [...] -- <command...>`.
// ProcessTerminationTimeout = null: System.CommandLine must not answer SIGTERM/Ctrl-C itself (by default it gives the
// action 2 s and then exits with 143, leaving the program behind); `deep run` forwards the signal and waits.
var root = new RootCommand("deep run, for the integration tests") { RunCommand.Create() };
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
