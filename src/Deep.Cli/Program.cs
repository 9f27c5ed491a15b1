using System.CommandLine;

namespace Deep.Cli;

/// <summary>The `deep` command. Verbs are added by the issues that build them.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("deep: the DEEP dynamic-instrumentation system for .NET");
        var demo = new Command("demo", "Show the system working end to end.");
        demo.SetAction(_ =>
        {
            Console.WriteLine("deep demo: not built yet. Available now: ./test.sh (protocol and its compatibility tests).");
            return 0;
        });
        root.Subcommands.Add(demo);
        return root.Parse(args).InvokeAsync();
    }
}
