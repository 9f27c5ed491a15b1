using System.CommandLine;
using System.Globalization;
using Deep.Cli.Common;
using Deep.Server.Api;
using Deep.Tracepoints;
using Deepproto.Proto.Common.V1;
using Deepproto.Proto.Poll.V1;
using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;

namespace Deep.Cli.Tracepoints;

/// <summary>What <c>deep tracepoint add</c> was asked to create.</summary>
internal sealed record TracepointAddOptions(
    string Location,
    string? Condition = null,
    IReadOnlyList<string>? Watches = null,
    string? Log = null,
    int? FireCount = null,
    long? FirePeriodMs = null,
    string? Method = null,
    string? Stage = null,
    string? Span = null,
    string? Snapshot = null,
    IReadOnlyList<string>? Targets = null);

/// <summary><c>deep tracepoint add|list|rm</c>.</summary>
internal static class TracepointCommands
{
    public static Command Create(GlobalOptions global, Func<ICliConsole> console)
    {
        var command = new Command("tracepoint", "Add, list and remove tracepoints.");
        command.Aliases.Add("tracepoints");

        var location = new Argument<string>("location") { Description = "<file>:<line>, e.g. OrderService.cs:42 (just <file> with --method)" };
        var condition = new Option<string?>("--condition") { Description = "Fire only when this expression is true" };
        var watch = new Option<string[]>("--watch") { Description = "An expression to capture (repeatable)" };
        var log = new Option<string?>("--log") { Description = "A log message, e.g. \"total {order.Total}\"" };
        var fireCount = new Option<int?>("--fire-count") { Description = "How many times it may fire (-1: unlimited; default 1)" };
        var firePeriod = new Option<long?>("--fire-period") { Description = "Minimum ms between fires (default 1000)" };
        var method = new Option<string?>("--method") { Description = "A method name: a method tracepoint" };
        var stage = new Option<string?>("--stage") { Description = "line_start, line_end, line_capture, method_start, method_end, method_capture" };
        var span = new Option<string?>("--span") { Description = "Create a span around the line or the method: line|method" };
        var snapshot = new Option<string?>("--snapshot") { Description = "no_collect: do not collect a snapshot (log or metric only)" };
        var target = new Option<string[]>("--target") { Description = "Only agents whose resource has k=v (repeatable)" };
        var wait = new Option<bool>("--wait") { Description = "Wait until an agent has installed it (or reports why it cannot)" };
        var waitTimeout = new Option<string>("--wait-timeout") { Description = "How long --wait waits, e.g. 30s, 2m (default 30s)", DefaultValueFactory = _ => "30s" };
        var add = new Command("add", "Create a tracepoint.");
        add.Arguments.Add(location);
        foreach (var o in new Option[] { condition, watch, log, fireCount, firePeriod, method, stage, span, snapshot, target, wait, waitTimeout }) add.Options.Add(o);
        add.SetAction(async (parse, ct) =>
        {
            using var api = global.CreateClient(parse);
            var options = new TracepointAddOptions(parse.GetValue(location)!, parse.GetValue(condition), parse.GetValue(watch), parse.GetValue(log),
                parse.GetValue(fireCount), parse.GetValue(firePeriod), parse.GetValue(method), parse.GetValue(stage), parse.GetValue(span),
                parse.GetValue(snapshot), parse.GetValue(target));
            TimeSpan? waitFor = parse.GetValue(wait) ? Durations.Parse(parse.GetValue(waitTimeout)!, "--wait-timeout") : null;
            return await AddAsync(api, console(), options, parse.GetValue(global.Json), ct, waitFor).ConfigureAwait(false);
        });

        var list = new Command("list", "List the tracepoints.");
        list.Aliases.Add("ls");
        list.SetAction(async (parse, ct) =>
        {
            using var api = global.CreateClient(parse);
            return await ListAsync(api, console(), parse.GetValue(global.Json), ct).ConfigureAwait(false);
        });

        var id = new Argument<string>("id") { Description = "The tracepoint's ID (see 'deep tracepoint list')" };
        var remove = new Command("rm", "Remove a tracepoint.");
        remove.Aliases.Add("remove");
        remove.Arguments.Add(id);
        remove.SetAction(async (parse, ct) =>
        {
            using var api = global.CreateClient(parse);
            return await RemoveAsync(api, console(), parse.GetValue(id)!, parse.GetValue(global.Json), ct).ConfigureAwait(false);
        });

        command.Subcommands.Add(add);
        command.Subcommands.Add(list);
        command.Subcommands.Add(remove);
        return command;
    }

    /// <summary>
    /// Turns the options into a tracepoint, checks it by <see cref="TracepointSpec"/> (the rules the server and the agent
    /// read it by) and creates it; a tracepoint with problems is not sent.
    /// </summary>
    /// <param name="waitFor">With <c>--wait</c>: how long to wait for an agent to install it (null: do not wait).</param>
    public static async Task<int> AddAsync(DeepApiClient api, ICliConsole console, TracepointAddOptions options, bool json, CancellationToken cancellationToken,
        TimeSpan? waitFor = null)
    {
        var tp = Build(options);
        if (TracepointSpec.Parse(TracepointValidator.Input(tp)).Errors is { Count: > 0 } problems)
        {
            // The server's words, one problem a line as it would print them, without a round trip that cannot succeed.
            throw new CliException(ExitCodes.InvalidInput, "the tracepoint is not valid (nothing was sent):" + string.Concat(problems.Select(e => "\n" + e)));
        }
        var body = "{\"tracepoint\":" + JsonFormatter.Default.Format(tp) + "}";
        var answer = await api.PostJsonAsync("api/tracepoints", body, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await console.Out.WriteLineAsync(answer).ConfigureAwait(false);
            if (waitFor is null) return ExitCodes.Ok;
        }
        var created = ParseCreated(answer);
        if (!json) await console.Out.WriteLineAsync($"created tracepoint {created.ID} at {Describe(created)}").ConfigureAwait(false);
        if (waitFor is not { } timeout) return ExitCodes.Ok;
        // Progress goes to stderr so that --json output stays one document.
        return await WaitForInstallAsync(api, console, created.ID, timeout, TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Polls <c>/api/status</c> until an agent reports the tracepoint installed (exit 0, with where), or an error
    /// (exit <see cref="ExitCodes.TracepointFailed"/>, with why), or <paramref name="timeout"/> passes.
    /// </summary>
    internal static async Task<int> WaitForInstallAsync(DeepApiClient api, ICliConsole console, string id, TimeSpan timeout, TimeSpan interval,
        CancellationToken cancellationToken)
    {
        await console.Error.WriteLineAsync($"waiting up to {timeout.TotalSeconds:0.#} s for an agent to install it...").ConfigureAwait(false);
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<AgentStatus> last = [];
        while (true)
        {
            last = (await ReadStatusAsync(api, id, cancellationToken).ConfigureAwait(false)).ToList();
            if (last.FirstOrDefault(s => s.State is "installed" or "fired") is { } installed)
            {
                // "fired" is installed and already hit: the user asked whether it is in place.
                await console.Out.WriteLineAsync((installed with { State = "installed" }).Describe()).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            if (last.FirstOrDefault(s => s.State == "error") is { } failed)
            {
                await console.Error.WriteLineAsync($"the tracepoint cannot be installed: {failed.Describe()}").ConfigureAwait(false);
                return ExitCodes.TracepointFailed;
            }
            if (DateTime.UtcNow >= deadline) break;
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
        var why = last.Count == 0
            ? "no agent has reported it (is an agent running and connected to this server?)"
            : "still " + string.Join("; ", last.Select(s => s.Describe()));
        await console.Error.WriteLineAsync($"not installed within {timeout.TotalSeconds:0.#} s: {why}").ConfigureAwait(false);
        return ExitCodes.TimedOut;
    }

    /// <summary>One tracepoint's state on one agent, as <c>/api/status</c> reports it.</summary>
    internal sealed record AgentStatus(string TracepointId, string Agent, string Service, string State, string Detail, string Method,
        long IlOffset, long LineUsed, long FireCount)
    {
        /// <summary>E.g. <c>installed on shop (3f2a…) in Shop.Cart.Add at IL_001A, line 43</c>.</summary>
        public string Describe()
        {
            var who = Service.Length > 0 ? $"{Service} ({ShortAgent})" : $"agent {ShortAgent}";
            var text = $"{State} on {who}";
            if (State is "installed" or "fired" && Method.Length > 0)
                text += $" in {Method} at IL_{IlOffset:X4}" + (LineUsed > 0 ? $", line {LineUsed}" : "");
            if (FireCount > 0) text += $", fired {FireCount} time{(FireCount == 1 ? "" : "s")}";
            if (Detail.Length > 0) text += ": " + Detail;
            return text;
        }

        private string ShortAgent => Agent.Length > 8 ? Agent[..8] : Agent;
    }

    /// <summary>The most pages of <c>/api/status</c> read at once.</summary>
    private const int MaxStatusPages = 20;

    /// <summary>The status of <paramref name="tracepointId"/> (or of every tracepoint) on each live agent.</summary>
    internal static async Task<IEnumerable<AgentStatus>> ReadStatusAsync(DeepApiClient api, string? tracepointId, CancellationToken cancellationToken)
    {
        var result = new List<AgentStatus>();
        string? after = null;
        // The server answers in pages (by agent, then tracepoint); a bounded number of them is all a person reads.
        for (var page = 0; page < MaxStatusPages; page++)
        {
            var query = new List<string>();
            if (tracepointId is not null) query.Add("tracepoint=" + Uri.EscapeDataString(tracepointId));
            if (after is not null) query.Add("after=" + Uri.EscapeDataString(after));
            string answer;
            try
            {
                answer = await api.GetJsonAsync("api/status" + (query.Count == 0 ? "" : "?" + string.Join('&', query)), cancellationToken).ConfigureAwait(false);
            }
            catch (CliException ex) when (ex.ExitCode == ExitCodes.NotFound)
            {
                throw new CliException(ExitCodes.NotFound, $"this server does not collect probe status ({ex.Message}); it takes a deep-dotnet server (deep server)", ex);
            }
            using var doc = System.Text.Json.JsonDocument.Parse(answer);
            if (!doc.RootElement.TryGetProperty("agents", out var agents)) return result;
            foreach (var agent in agents.EnumerateArray())
            {
                var agentId = Text(agent, "agent");
                var service = Text(agent, "service");
                if (!agent.TryGetProperty("tracepoints", out var tps)) continue;
                foreach (var t in tps.EnumerateArray())
                {
                    result.Add(new AgentStatus(Text(t, "id"), agentId, service, Text(t, "state"), Text(t, "detail"), Text(t, "method"),
                        Number(t, "ilOffset"), Number(t, "lineUsed"), Number(t, "fireCount")));
                }
            }
            after = Text(doc.RootElement, "next");
            if (after.Length == 0) break;
        }
        return result;

        static string Text(System.Text.Json.JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString()! : "";
        static long Number(System.Text.Json.JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : 0;
    }

    public static async Task<int> ListAsync(DeepApiClient api, ICliConsole console, bool json, CancellationToken cancellationToken)
    {
        var answer = await api.GetJsonAsync("api/tracepoints", cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await console.Out.WriteLineAsync(answer).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        var poll = DeepApiClient.Parse<PollResponse>(answer);
        if (poll.Response.Count == 0)
        {
            await console.Out.WriteLineAsync("no tracepoints (add one with 'deep tracepoint add <file>:<line>')").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        // A DEEP server has no status: the list is still useful without it.
        ILookup<string, AgentStatus>? status = null;
        try
        {
            status = (await ReadStatusAsync(api, null, cancellationToken).ConfigureAwait(false)).ToLookup(s => s.TracepointId, StringComparer.Ordinal);
        }
        catch (CliException ex) when (ex.ExitCode == ExitCodes.NotFound)
        {
        }
        // Status last: it is the longest column, and padding it would push the details off screen.
        var rows = poll.Response.Select(t => new[] { t.ID, Describe(t), Details(t), StatusText(status, t.ID) }).ToList();
        Table.Write(console.Out, ["ID", "LOCATION", "DETAILS", "STATUS"], rows);
        return ExitCodes.Ok;
    }

    public static async Task<int> RemoveAsync(DeepApiClient api, ICliConsole console, string id, bool json, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new CliException(ExitCodes.Usage, "give the ID of the tracepoint to remove (see 'deep tracepoint list')");
        try
        {
            var answer = await api.DeleteAsync("api/tracepoints/" + Uri.EscapeDataString(id.Trim()), cancellationToken).ConfigureAwait(false);
            await console.Out.WriteLineAsync(json ? answer : $"removed tracepoint {id.Trim()}").ConfigureAwait(false);
        }
        catch (CliException ex) when (ex.ExitCode == ExitCodes.NotFound)
        {
            throw new CliException(ExitCodes.NotFound, $"{ex.Message}; 'deep tracepoint list' shows the IDs", ex);
        }
        return ExitCodes.Ok;
    }

    internal static TracePointConfig Build(TracepointAddOptions options)
    {
        var (path, line) = ParseLocation(options.Location, options.Method is not null);
        var tp = new TracePointConfig { Path = path, LineNumber = line };
        if (options.Condition is { } c) tp.Args["condition"] = c;
        if (options.Log is { } l) tp.Args["log_msg"] = l;
        // Their ranges are the spec's to check, like every other argument's.
        if (options.FireCount is { } fc) tp.Args["fire_count"] = fc.ToString(CultureInfo.InvariantCulture);
        if (options.FirePeriodMs is { } fp) tp.Args["fire_period"] = fp.ToString(CultureInfo.InvariantCulture);
        if (options.Method is { } m) tp.Args["method_name"] = m;
        if (options.Stage is { } s) tp.Args["stage"] = s;
        if (options.Span is { } sp) tp.Args["span"] = sp;
        if (options.Snapshot is { } sn) tp.Args["snapshot"] = sn;
        if (options.Watches is { } watches) tp.Watches.AddRange(watches);
        foreach (var t in options.Targets ?? [])
        {
            var eq = t.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new CliException(ExitCodes.Usage, $"--target '{t}' must be key=value, e.g. --target service.name=shop");
            tp.Targeting.Add(new KeyValue { Key = t[..eq], Value = new AnyValue { StringValue = t[(eq + 1)..] } });
        }
        return tp;
    }

    /// <summary><c>file:line</c>; the last colon splits, so Windows paths (<c>C:\src\A.cs:12</c>) work.</summary>
    internal static (string Path, uint Line) ParseLocation(string location, bool methodGiven)
    {
        var text = location.Trim();
        var colon = text.LastIndexOf(':');
        if (colon > 0 && colon < text.Length - 1 && text[(colon + 1)..].All(char.IsAsciiDigit))
        {
            if (!uint.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var line) || line == 0)
                throw new CliException(ExitCodes.Usage, $"'{location}': the line must be a number from 1");
            return (text[..colon], line);
        }
        if (methodGiven && text.Length > 0 && !text.EndsWith(':')) return (text, 0);
        throw new CliException(ExitCodes.Usage, $"'{location}' is not <file>:<line>, e.g. OrderService.cs:42 (or give --method NAME with just the file)");
    }

    private static TracePointConfig ParseCreated(string answer)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(answer);
        return doc.RootElement.TryGetProperty("tracepoint", out var tp)
            ? DeepApiClient.Parse<TracePointConfig>(tp.GetRawText())
            : throw new CliException(ExitCodes.Unexpected, "the server created the tracepoint but did not return it (is it a DEEP server without this extension?)");
    }

    private static string StatusText(ILookup<string, AgentStatus>? status, string id)
    {
        if (status is null) return "(not reported by this server)";
        var entries = status[id].ToList();
        return entries.Count == 0 ? "no agent has reported it" : string.Join("; ", entries.Select(s => s.Describe()));
    }

    internal static string Describe(TracePointConfig t)
    {
        var where = t.LineNumber > 0 ? $"{t.Path}:{t.LineNumber}" : t.Path;
        return t.Args.TryGetValue("method_name", out var m) ? $"{where} method {m}" : where;
    }

    private static string Details(TracePointConfig t)
    {
        var parts = new List<string>();
        foreach (var (k, v) in t.Args.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (k != "method_name") parts.Add($"{k}={v}");
        }
        foreach (var w in t.Watches) parts.Add($"watch={w}");
        foreach (var kv in t.Targeting) parts.Add($"target {kv.Key}={kv.Value?.StringValue}");
        return string.Join("  ", parts);
    }
}
