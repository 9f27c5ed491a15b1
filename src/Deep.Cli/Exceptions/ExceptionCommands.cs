using System.CommandLine;
using System.Text.Json;
using Deep.Cli.Common;
using Deep.Cli.Snapshots;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Cli.Exceptions;

/// <summary>
/// <c>deep exception list|show</c>: the exceptions Exception Replay captured (docs/exception-replay.md), one per
/// fingerprint, from the embedded server's <c>/api/exceptions</c>.
/// </summary>
internal static class ExceptionCommands
{
    public static Command Create(GlobalOptions global, Func<ICliConsole> console)
    {
        var command = new Command("exception", "Exceptions that escaped the app, with every frame's variables (Exception Replay).");
        command.Aliases.Add("exceptions");

        var limit = new Option<int>("--limit") { Description = "How many fingerprints (newest first; 1-1000)", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "One row per fingerprint: type, message, where, how often, last seen.");
        list.Aliases.Add("ls");
        list.Options.Add(limit);
        list.SetAction(async (parse, ct) =>
        {
            using var api = global.CreateClient(parse);
            return await ListAsync(api, console(), parse.GetValue(limit), parse.GetValue(global.Json), ct).ConfigureAwait(false);
        });

        var fingerprint = new Argument<string>("fingerprint") { Description = "The exception's fingerprint (see 'deep exception list')" };
        var depth = new Option<int>("--depth") { Description = "How deep to expand variables", DefaultValueFactory = _ => 3 };
        var show = new Command("show", "Show the latest snapshot of an exception: every frame with its variables.");
        show.Arguments.Add(fingerprint);
        show.Options.Add(depth);
        show.SetAction(async (parse, ct) =>
        {
            using var api = global.CreateClient(parse);
            return await ShowAsync(api, console(), parse.GetValue(fingerprint)!, parse.GetValue(depth), parse.GetValue(global.Json), ct).ConfigureAwait(false);
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        return command;
    }

    public static async Task<int> ListAsync(DeepApiClient api, ICliConsole console, int limit, bool json, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 1000) throw new CliException(ExitCodes.Usage, $"--limit {limit} must be from 1 to 1000");
        var answer = await api.GetJsonAsync($"api/exceptions?limit={limit}", cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await console.Out.WriteLineAsync(answer).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        using var doc = JsonDocument.Parse(answer);
        if (!doc.RootElement.TryGetProperty("exceptions", out var rows) || rows.ValueKind != JsonValueKind.Array)
            throw new CliException(ExitCodes.Unexpected, "the server's answer has no exception list (is it a DEEP server without this extension?)");
        if (rows.GetArrayLength() == 0)
        {
            await console.Out.WriteLineAsync("no exceptions yet (one shows after it escaped the app's code twice)").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        Table.Write(console.Out, ["FINGERPRINT", "TYPE", "MESSAGE", "WHERE", "COUNT", "LAST SEEN", "SERVICE"], rows.EnumerateArray().Select(r => new[]
        {
            Text(r, "fingerprint"), Text(r, "type"), Shorten(Text(r, "message"), 60), Text(r, "where"),
            r.TryGetProperty("count", out var c) ? c.GetRawText() : "", Text(r, "lastSeen"), Text(r, "service"),
        }).ToList());
        return ExitCodes.Ok;
    }

    public static async Task<int> ShowAsync(DeepApiClient api, ICliConsole console, string fingerprint, int depth, bool json, CancellationToken cancellationToken)
    {
        var id = fingerprint.Trim().ToLowerInvariant();
        if (id.Length != 16 || !id.All(Uri.IsHexDigit))
            throw new CliException(ExitCodes.Usage, $"'{fingerprint}' is not an exception fingerprint: it has 16 hex digits (see 'deep exception list')");
        if (depth < 1) throw new CliException(ExitCodes.Usage, "--depth must be at least 1");
        var answer = await api.GetJsonAsync("api/exceptions/" + id, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await console.Out.WriteLineAsync(answer).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        using var doc = JsonDocument.Parse(answer);
        if (!doc.RootElement.TryGetProperty("snapshots", out var snapshots) || snapshots.GetArrayLength() == 0)
            throw new CliException(ExitCodes.Unexpected, "the server's answer has no snapshot of that exception");
        var latest = DeepApiClient.Parse<Snapshot>(snapshots[0].GetRawText());
        await console.Out.WriteAsync(SnapshotTree.Render(latest, depth)).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static string Text(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
