using System.CommandLine;
using System.Text.Json;
using Deep.Cli.Common;
using Deep.Cli.Tracepoints;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Cli.Snapshots;

/// <summary><c>deep snapshot list|show|tail</c>.</summary>
internal static class SnapshotCommands
{
    public static Command Create(GlobalOptions global, Func<ICliConsole> console)
    {
        var command = new Command("snapshot", "Read snapshots.");
        command.Aliases.Add("snapshots");

        var tracepoint = new Option<string?>("--tracepoint") { Description = "Only snapshots of this tracepoint ID" };
        var limit = new Option<int>("--limit") { Description = "How many (newest first; 1-1000)", DefaultValueFactory = _ => 20 };
        var list = new Command("list", "List snapshots, newest first.");
        list.Aliases.Add("ls");
        list.Options.Add(tracepoint);
        list.Options.Add(limit);
        list.SetAction(async (parse, ct) =>
        {
            using var api = global.CreateClient(parse);
            return await ListAsync(api, console(), parse.GetValue(tracepoint), parse.GetValue(limit), parse.GetValue(global.Json), ct).ConfigureAwait(false);
        });

        var id = new Argument<string>("id") { Description = "The snapshot's ID in hex (see 'deep snapshot list')" };
        var depth = new Option<int>("--depth") { Description = "How deep to expand variables", DefaultValueFactory = _ => 3 };
        var show = new Command("show", "Show one snapshot as a tree: frames, variables, watches, attributes.");
        show.Arguments.Add(id);
        show.Options.Add(depth);
        show.SetAction(async (parse, ct) =>
        {
            using var api = global.CreateClient(parse);
            return await ShowAsync(api, console(), parse.GetValue(id)!, parse.GetValue(depth), parse.GetValue(global.Json), ct).ConfigureAwait(false);
        });

        var tailTracepoint = new Option<string?>("--tracepoint") { Description = "Only snapshots of this tracepoint ID" };
        var interval = new Option<int>("--interval") { Description = "How often to look, in ms", DefaultValueFactory = _ => 500 };
        var count = new Option<int?>("--count") { Description = "Stop after this many snapshots" };
        var tail = new Command("tail", "Print snapshots as they arrive, until Ctrl-C.");
        tail.Options.Add(tailTracepoint);
        tail.Options.Add(interval);
        tail.Options.Add(count);
        tail.SetAction(async (parse, ct) =>
        {
            using var api = global.CreateClient(parse);
            return await TailAsync(api, console(), parse.GetValue(tailTracepoint), TimeSpan.FromMilliseconds(Math.Max(50, parse.GetValue(interval))),
                parse.GetValue(count), parse.GetValue(global.Json), ct).ConfigureAwait(false);
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        command.Subcommands.Add(tail);
        return command;
    }

    public static async Task<int> ListAsync(DeepApiClient api, ICliConsole console, string? tracepoint, int limit, bool json, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 1000) throw new CliException(ExitCodes.Usage, $"--limit {limit} must be from 1 to 1000");
        var answer = await FetchAsync(api, tracepoint, limit, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await console.Out.WriteLineAsync(answer).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        var snapshots = ParseList(answer);
        if (snapshots.Count == 0)
        {
            await console.Out.WriteLineAsync(tracepoint is null ? "no snapshots yet" : $"no snapshots of tracepoint {tracepoint} yet").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        Table.Write(console.Out, ["ID", "TIME", "LOCATION", "TRACEPOINT", "SERVICE"], snapshots.Select(Row).ToList());
        return ExitCodes.Ok;
    }

    public static async Task<int> ShowAsync(DeepApiClient api, ICliConsole console, string id, int depth, bool json, CancellationToken cancellationToken)
    {
        var hex = id.Trim();
        if (hex.Length != 32 || !hex.All(Uri.IsHexDigit))
            throw new CliException(ExitCodes.Usage, $"'{id}' is not a snapshot ID: it has 32 hex digits (see 'deep snapshot list')");
        if (depth < 1) throw new CliException(ExitCodes.Usage, "--depth must be at least 1");
        var answer = await api.GetJsonAsync("api/snapshots/" + hex, cancellationToken).ConfigureAwait(false);
        await console.Out.WriteAsync(json ? answer + Environment.NewLine : SnapshotTree.Render(DeepApiClient.Parse<Snapshot>(answer), depth)).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Looks every <paramref name="interval"/> and prints snapshots not seen before, oldest first. What was already
    /// there when it started is not printed. Stops on cancellation (exit 0) or after <paramref name="count"/>.
    /// </summary>
    public static async Task<int> TailAsync(DeepApiClient api, ICliConsole console, string? tracepoint, TimeSpan interval, int? count, bool json,
        CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var printed = 0;
        try
        {
            foreach (var s in ParseList(await FetchAsync(api, tracepoint, 1000, cancellationToken).ConfigureAwait(false)))
                seen.Add(s.ID.ToBase64());
            if (!json)
            {
                await console.Out.WriteLineAsync($"waiting for snapshots{(tracepoint is null ? "" : " of tracepoint " + tracepoint)} (Ctrl-C to stop)").ConfigureAwait(false);
                await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            while (count is null || printed < count)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                var fresh = ParseList(await FetchAsync(api, tracepoint, 200, cancellationToken).ConfigureAwait(false))
                    .Where(s => seen.Add(s.ID.ToBase64()))
                    .OrderBy(s => s.TsNanos)
                    .ToList();
                foreach (var s in fresh)
                {
                    if (count is not null && printed >= count) break;
                    var line = json
                        ? Google.Protobuf.JsonFormatter.Default.Format(s)
                        : string.Join("  ", Row(s));
                    await console.Out.WriteLineAsync(line).ConfigureAwait(false);
                    printed++;
                }
                await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C is how tail is meant to end.
        }
        return ExitCodes.Ok;
    }

    private static Task<string> FetchAsync(DeepApiClient api, string? tracepoint, int limit, CancellationToken cancellationToken)
    {
        var path = $"api/snapshots?limit={limit}";
        if (!string.IsNullOrWhiteSpace(tracepoint)) path += "&tracepoint=" + Uri.EscapeDataString(tracepoint.Trim());
        return api.GetJsonAsync(path, cancellationToken);
    }

    private static List<Snapshot> ParseList(string answer)
    {
        using var doc = JsonDocument.Parse(answer);
        if (!doc.RootElement.TryGetProperty("snapshots", out var array) || array.ValueKind != JsonValueKind.Array)
            throw new CliException(ExitCodes.Unexpected, "the server's answer has no snapshot list (is it a DEEP server without this extension?)");
        return array.EnumerateArray().Select(e => DeepApiClient.Parse<Snapshot>(e.GetRawText())).ToList();
    }

    private static string[] Row(Snapshot s)
    {
        var service = s.Resource.FirstOrDefault(kv => kv.Key == "service.name")?.Value?.StringValue ?? "";
        var frame = s.Frames.Count > 0 ? s.Frames[0] : null;
        var location = s.Tracepoint is { } tp ? TracepointCommands.Describe(tp) : frame is null ? "" : $"{frame.FileName}:{frame.LineNumber}";
        return [Convert.ToHexStringLower(s.ID.ToByteArray()), SnapshotTree.FormatTime(s.TsNanos), location, s.Tracepoint?.ID ?? "", service];
    }
}
