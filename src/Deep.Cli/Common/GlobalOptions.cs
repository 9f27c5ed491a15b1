using System.CommandLine;

namespace Deep.Cli.Common;

/// <summary>The options every client command takes: which server, as whom, and whether to print JSON.</summary>
internal sealed class GlobalOptions
{
    public GlobalOptions()
    {
        // A value that is not a URL is a usage error at once (exit code 2), never a silent fall-back to localhost.
        Server.Validators.Add(result =>
        {
            var value = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
            if (value is not null && ServerUrls.ParseApiUrl(value, out var error) is null)
                result.AddError($"--server '{value}' {error}: give the server's HTTP API, e.g. {ServerConnection.DefaultServer}");
        });
    }

    public Option<string> Server { get; } = new("--server")
    {
        Description = $"The DEEP server's HTTP API (default {ServerConnection.DefaultServer})",
        DefaultValueFactory = _ => ServerConnection.DefaultServer,
        Recursive = true,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "The server's API key (default: $DEEP_API_KEY)",
        Recursive = true,
    };

    public Option<string?> Tenant { get; } = new("--tenant")
    {
        Description = "Tenant (x-scope-orgid) on a multi-tenant server",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON for scripts instead of text for people",
        Recursive = true,
    };

    /// <summary>Adds these options to <paramref name="command"/> and (recursively) its subcommands.</summary>
    public Command AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(ApiKey);
        command.Options.Add(Tenant);
        command.Options.Add(Json);
        return command;
    }

    public DeepApiClient CreateClient(ParseResult parse)
        => new(ServerConnection.Create(parse.GetValue(Server), parse.GetValue(ApiKey), parse.GetValue(Tenant)));
}
