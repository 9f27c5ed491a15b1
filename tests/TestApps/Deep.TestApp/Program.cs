using System.Globalization;
using System.Runtime.InteropServices;

namespace Deep.TestApp;

/// <summary>Reads "scenario [argument]" lines and runs them; the integration tests drive it through stdin.</summary>
internal static class Program
{
    private static int Main()
    {
        using var terminated = new ManualResetEventSlim();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Console.Out.WriteLine("terminated");
            Console.Out.Flush();
            Environment.Exit(43);
        });
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        string? line;
        while ((line = Console.In.ReadLine()) is not null)
        {
            var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 0)
            {
                continue;
            }
            string argument = parts.Length > 1 ? parts[1] : "";
            if (parts[0] == "exit")
            {
                return int.Parse(argument, CultureInfo.InvariantCulture);
            }
            string result;
            try
            {
                result = Scenarios.Run(parts[0], argument);
            }
            catch (Exception e)
            {
                result = "error " + e.GetType().Name + ": " + e.Message;
            }
            Console.Out.WriteLine($"ok {parts[0]} {result}");
            Console.Out.Flush();
        }
        return 0;
    }
}
