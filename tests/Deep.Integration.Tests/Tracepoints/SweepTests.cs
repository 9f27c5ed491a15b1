using System.Diagnostics;
using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Deep.Integration.Tests.Tracepoints;

// The sweep: a tracepoint of one line stage on every line with code in tests/TestApps/Deep.TestApp/Corpus.cs (many
// C# shapes), and the application must answer exactly what it answers without them. A rewriter bug shows up here as
// a different result, an InvalidProgramException, a changed exception or a crash, whatever line it is on.
[Collection(EndToEndCollection.Name)]
public sealed class SweepTests(ITestOutputHelper output)
{
    private const string File = "Corpus.cs";
    private const string Source = "tests/TestApps/Deep.TestApp/Corpus.cs";

    // The corpus runs with these arguments: together they take most branches (odd and even, small and big).
    private static readonly int[] Arguments = [3, 4];

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// The status errors the sweep expects, each with why. Anything else the agent reports as an error is a failure.
    /// </summary>
    private static readonly (string Stage, string Because, string DetailContains)[] ExpectedErrors =
    [
        // A line outside any method body (a type or record declaration, a field) has no code to probe.
        ("*", "no code outside a method body", "has no code and is not inside a method body"),
        // line_end / line_capture go where the next sequence point after the line begins: the last line of a method
        // (a return or throw) has no such point.
        ("line_end", "a method's last line returns or throws: nothing runs after it", "there is no code after it to probe; use stage line_start instead"),
        ("line_capture", "a method's last line returns or throws: nothing runs after it", "there is no code after it to probe; use stage line_start instead"),
    ];

    [Theory]
    [InlineData("Debug", "line_start")]
    [InlineData("Debug", "line_end")]
    [InlineData("Debug", "line_capture")]
    [InlineData("Release", "line_start")]
    [InlineData("Release", "line_end")]
    [InlineData("Release", "line_capture")]
    public async Task Every_line_of_the_corpus_probed_leaves_the_application_behaviour_unchanged(string configuration, string stage)
    {
        var session = await AppSession.GetAsync(configuration);
        int logStart = session.App.Log.Length;
        var expected = Arguments.ToDictionary(n => n, n => session.App.Call("corpus", n));
        Assert.All(expected.Values, e => Assert.Contains("branches=", e, StringComparison.Ordinal));

        var lines = CodeLines();
        var ids = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (int line in lines)
            {
                ids[await session.Api.CreateAsync(File, line, new Dictionary<string, string>
                {
                    ["stage"] = stage,
                    ["fire_count"] = "-1",
                    ["fire_period"] = "0",
                })] = line;
            }
            var created = clock.Elapsed;

            // Every tracepoint reported (installed, fired or error; not pending), the corpus running meanwhile so
            // the rewritten methods are entered (the new code runs from a method's next call).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            IReadOnlyDictionary<string, (string State, string Detail)> states;
            while (true)
            {
                RunAndCompare(session, expected);
                states = await StatesAsync(session);
                if (ids.Keys.All(id => states.TryGetValue(id, out var s) && s.State is "installed" or "fired" or "error"))
                {
                    break;
                }
                if (DateTime.UtcNow > deadline)
                {
                    Assert.Fail($"not every tracepoint reported a state in 120 s: {Describe(ids, states)}\n{session.App.Tail}");
                }
                await Task.Delay(500);
            }
            var reported = clock.Elapsed;

            // Several runs with every probe active; fired states are reported every few seconds.
            for (int round = 0; round < 5; round++)
            {
                RunAndCompare(session, expected);
            }
            var firedDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            int fired = 0;
            while (DateTime.UtcNow < firedDeadline)
            {
                states = await StatesAsync(session);
                int now = ids.Keys.Count(id => states.TryGetValue(id, out var s) && s.State == "fired");
                if (now == fired && now > 0)
                {
                    break; // stable over one report period
                }
                fired = now;
                RunAndCompare(session, expected);
                await Task.Delay(6000);
            }
            output.WriteLine($"{configuration} {stage}: {ids.Count} tracepoints on {lines.Count} lines; created in {created.TotalSeconds:0.0} s, " +
                             $"all reported after {reported.TotalSeconds:0.0} s, done in {clock.Elapsed.TotalSeconds:0.0} s; fired {fired}");
            output.WriteLine(Describe(ids, states));

            // No error but the expected ones.
            var unexpected = ids
                .Where(kv => states[kv.Key].State == "error" && !IsExpected(stage, states[kv.Key].Detail))
                .Select(kv => $"line {kv.Value}: {states[kv.Key].Detail}")
                .ToList();
            Assert.True(unexpected.Count == 0, "unexpected status errors:\n" + string.Join("\n", unexpected));

            // Most lines fired. The rest: lines of branches the arguments do not take, catch blocks of exceptions
            // never thrown, and (line_end, line_capture) lines left by a jump, which never reach "after the line".
            Assert.True(fired >= MinimumFired(stage), $"only {fired} of {ids.Count} tracepoints fired\n{Describe(ids, states)}");

            // Nothing went wrong in the process: no invalid IL, no fatal error, no probe or action failure.
            string log = session.App.Log[logStart..];
            Assert.DoesNotContain("InvalidProgramException", log, StringComparison.Ordinal);
            Assert.DoesNotContain("fatal", log, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("[deep] error:", log, StringComparison.Ordinal);
            // Probe and engine failures only: a loaded machine may also log a slow send or poll, which is not the
            // rewriting's doing, and every hit of every line sends a snapshot, so the bounded send queue drops some.
            var failures = log.Split('\n')
                .Where(l => new[] { "[deep] warning: probe ", "[deep] warning: engine:", "[deep] warning: action of tracepoint", "[deep] warning: tracepoint " }
                    .Any(kind => l.Contains(kind, StringComparison.Ordinal)))
                .Where(l => !(l.Contains(" failed: ", StringComparison.Ordinal) && l.Contains("Corpus.cs", StringComparison.Ordinal) && IsExpected(stage, l)))
                .ToList();
            Assert.True(failures.Count == 0, "the agent reported failures:\n" + string.Join("\n", failures));
        }
        finally
        {
            foreach (var id in ids.Keys)
            {
                await session.Api.DeleteAsync(id);
            }
        }
    }

    // Measured on 331 tracepoints (about 50 of them on lines outside method bodies): line_start fired 248-250,
    // line_end 212 (Release) - 243 (Debug), line_capture 203 (Release) - 227 (Debug). The bounds leave some room for a
    // fired state not yet reported.
    private static int MinimumFired(string stage) => stage switch
    {
        "line_start" => 230,
        _ => 190,
    };

    private static bool IsExpected(string stage, string detail) =>
        ExpectedErrors.Any(e => (e.Stage == "*" || e.Stage == stage) && detail.Contains(e.DetailContains, StringComparison.Ordinal));

    private static void RunAndCompare(AppSession session, Dictionary<int, string> expected)
    {
        foreach (var (n, result) in expected)
        {
            Assert.Equal(result, session.App.Call("corpus", n));
        }
    }

    /// <summary>The corpus's lines that may hold code: not blank, not a comment, not only braces.</summary>
    private static List<int> CodeLines()
    {
        var text = System.IO.File.ReadAllLines(Repo.Path(Source));
        return Enumerable.Range(0, text.Length)
            .Where(i =>
            {
                string line = text[i].Trim();
                return line.Length > 0 && !line.StartsWith("//", StringComparison.Ordinal) && line.Trim('{', '}', ';', ')', ' ').Length > 0
                       && !line.StartsWith("using ", StringComparison.Ordinal) && !line.StartsWith("namespace ", StringComparison.Ordinal);
            })
            .Select(i => i + 1)
            .ToList();
    }

    /// <summary>Every tracepoint's latest state and detail, from the one agent of the session.</summary>
    private static async Task<IReadOnlyDictionary<string, (string State, string Detail)>> StatesAsync(AppSession session)
    {
        var body = await Http.GetStringAsync(new Uri(session.Server.HttpAddress, "/api/status"));
        var result = new Dictionary<string, (string, string)>();
        foreach (var agent in JsonNode.Parse(body)!["agents"]?.AsArray() ?? [])
        {
            foreach (var t in agent!["tracepoints"]!.AsArray())
            {
                result[t!["id"]!.GetValue<string>()] = (t["state"]!.GetValue<string>(), t["detail"]?.GetValue<string>() ?? "");
            }
        }
        return result;
    }

    private static string Describe(Dictionary<string, int> ids, IReadOnlyDictionary<string, (string State, string Detail)> states) =>
        string.Join("\n", ids.OrderBy(kv => kv.Value).Select(kv =>
            $"  {kv.Value}: " + (states.TryGetValue(kv.Key, out var s) ? s.State + " " + s.Detail : "no state")));
}
