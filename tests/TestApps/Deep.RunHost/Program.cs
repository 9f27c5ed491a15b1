using System.CommandLine;
using Deep.Cli.Run;

// `Deep.RunHost run [...] -- <command...>` is `deep run [...] -- <command...>`.
var root = new RootCommand("deep run, for the integration tests") { RunCommand.Create() };
return await root.Parse(args).InvokeAsync();
