using System.Diagnostics;
using System.Reflection;
using Deep.Cli.Common;

namespace Deep.Cli.Tests;

// One exit-code table for every command: each code means one thing, and each failure kind ends with its own code
// when the real command line runs.
public sealed class ExitCodeTests
{
    [Fact]
    public void No_two_exit_codes_share_a_number()
    {
        var codes = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (f.Name, Value: (int)f.GetRawConstantValue()!)).ToList();
        Assert.True(codes.Count >= 15, $"the table has {codes.Count} codes");
        var clashes = codes.GroupBy(c => c.Value).Where(g => g.Count() > 1).Select(g => string.Join(" = ", g.Select(c => c.Name)));
        Assert.Empty(clashes);
    }

    [Fact]
    public void The_cli_has_one_exception_type_for_expected_failures()
    {
        var exceptions = typeof(CliException).Assembly.GetTypes().Where(t => typeof(Exception).IsAssignableFrom(t)).Select(t => t.Name);
        Assert.Equal(["CliException"], exceptions);
    }

    [Fact]
    public async Task Server_down_not_found_invalid_and_unauthorized_each_have_their_code()
    {
        var down = new BufferedConsole();
        Assert.Equal(ExitCodes.Unreachable, await Program.RunAsync(["snapshot", "list", "--server", "http://127.0.0.1:1"], down, CancellationToken.None));

        await using var h = await CliHarness.StartAsync();
        Assert.Equal(ExitCodes.NotFound, (await h.RunAsync("snapshot", "show", new string('a', 32))).Code);
        Assert.Equal(ExitCodes.NotFound, (await h.RunAsync("tracepoint", "rm", "nope")).Code);
        Assert.Equal(ExitCodes.InvalidInput, (await h.RunAsync("tracepoint", "add", "A.cs:1", "--fire-period", "5", "--condition", "(")).Code);
        Assert.Equal(ExitCodes.InvalidInput, (await h.RunAsync("tracepoint", "add", "A.cs:1", "--target", "k=" + new string('x', 70_000))).Code);
        Assert.Equal(ExitCodes.Usage, (await h.RunAsync("tracepoint", "add", "A.cs")).Code);
    }

    [Fact]
    public async Task Attaching_to_a_process_that_does_not_exist_is_not_found()
    {
        var console = new BufferedConsole();
        // Above Linux's pid_max (2^22): never a process.
        Assert.Equal(ExitCodes.NotFound, await Program.RunAsync(["attach", "4000000"], console, CancellationToken.None));
    }

    [Fact]
    public async Task Attaching_to_a_process_that_is_not_dotnet_is_not_dotnet_not_not_found()
    {
        using var sleep = Process.Start("sleep", "120");
        try
        {
            var console = new BufferedConsole();
            Assert.Equal(ExitCodes.NotDotNet, await Program.RunAsync(["attach", sleep.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], console, CancellationToken.None));
        }
        finally
        {
            sleep.Kill();
        }
    }
}
