using System.Globalization;
using System.Runtime.CompilerServices;
using Deep.Agent;

namespace SelfAttach;

/// <summary>
/// Starts the agent in code (no deep run, no profiler variables), says "ready", then runs "greet &lt;name&gt;
/// &lt;times&gt;" lines from stdin, answering "ok greet &lt;result&gt;".
/// </summary>
internal static class Program
{
    private static int Main()
    {
        bool started = DeepAgent.Start();
        Console.Out.WriteLine($"started {started}");
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        string? line;
        while ((line = Console.In.ReadLine()) is not null)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3 && parts[0] == "greet")
            {
                var result = Greeter.Greet(parts[1], int.Parse(parts[2], CultureInfo.InvariantCulture));
                Console.Out.WriteLine("ok greet " + result);
                Console.Out.Flush();
            }
        }
        DeepAgent.Shutdown();
        return 0;
    }
}

internal static class Greeter
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Greet(string name, int times)
    {
        string greeting = "hello " + name;
        int length = greeting.Length * times; // @greet-line
        return greeting + ":" + length;
    }
}
