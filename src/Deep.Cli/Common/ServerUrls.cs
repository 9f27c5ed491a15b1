using System.CommandLine;
using System.Globalization;

namespace Deep.Cli.Common;

/// <summary>
/// The one place <c>--server</c> values are checked, so that a typo is an error with exit code 2 rather than a
/// silent fall-back to localhost: the HTTP API URL of the client commands, and the gRPC address that
/// <c>deep run</c>/<c>deep attach</c> hand to the agent.
/// </summary>
internal static class ServerUrls
{
    /// <summary>
    /// The HTTP API base address <paramref name="text"/> names (<c>http(s)://host[:port][/path]</c>, or
    /// <c>host[:port]</c> meaning http), or null with <paramref name="error"/> saying what is wrong.
    /// </summary>
    public static Uri? ParseApiUrl(string text, out string? error)
    {
        error = null;
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            error = "is empty";
            return null;
        }
        var withScheme = trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "http://" + trimmed;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = "is not an http(s) URL";
            return null;
        }
        return CheckHostAndPort(uri, trimmed, out error) ? uri : null;
    }

    /// <summary>
    /// Null when the agent will accept <paramref name="text"/> as its server (DEEP_SERVICE_URL: <c>http(s)://host:port</c>,
    /// or <c>host:port</c>), else what is wrong. The agent's own parser refuses the same values; checking here turns a
    /// typo into an error before the program starts.
    /// </summary>
    public static string? CheckAgentUrl(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0) return "is empty";
        if (trimmed.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                return "is not an http(s) URL";
            if (!CheckHostAndPort(uri, trimmed, out var error)) return error;
            if (uri.AbsolutePath != "/" || uri.Query.Length > 0) return "has a path; the agent's server address is scheme://host:port only";
            return null;
        }
        var colon = trimmed.LastIndexOf(':');
        var host = colon > 0 ? trimmed[..colon] : trimmed;
        if (colon > 0 && !(int.TryParse(trimmed[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536))
            return "has an invalid port (1 to 65535)";
        if (Uri.CheckHostName(host) == UriHostNameType.Unknown) return "has an invalid host name";
        return null;
    }

    /// <summary>An option for the agent's server address, refused at parse time (exit code 2) when the agent would refuse it.</summary>
    public static Option<string?> AgentServerOption(string description)
    {
        var option = new Option<string?>("--server") { Description = description };
        option.Validators.Add(result =>
        {
            var value = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
            if (value is not null && CheckAgentUrl(value) is { } error)
                result.AddError($"--server '{value}' {error}: give the server's gRPC address, e.g. http://localhost:43315");
        });
        return option;
    }

    private static bool CheckHostAndPort(Uri uri, string text, out string? error)
    {
        error = null;
        if (uri.Host.Length == 0 || uri.HostNameType == UriHostNameType.Unknown)
            error = "has no host";
        else if (uri.UserInfo.Length > 0)
            error = "has a user name in it; pass the key with --api-key";
        else if (text.Any(char.IsWhiteSpace))
            error = "has a space in it";
        else if (uri.Fragment.Length > 0)
            error = "has a #fragment";
        return error is null;
    }
}
