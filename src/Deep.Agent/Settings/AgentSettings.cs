using System.Globalization;

namespace Deep.Agent.Settings;

/// <summary>
/// The agent's settings (spec §9), from <c>DEEP_*</c> environment variables and code. Parsing never throws: an invalid
/// value falls back to its default and leaves a warning in <see cref="Warnings"/>.
/// </summary>
internal sealed record AgentSettings
{
    public Uri ServiceUrl { get; init; } = new("http://localhost:43315");
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long we ask a server that supports it to hold a poll (header <c>deep-long-poll</c>); zero = never ask.</summary>
    public TimeSpan LongPoll { get; init; } = TimeSpan.FromSeconds(30);
    public string? AuthProvider { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public string? ServiceName { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> ResourceAttributes { get; init; } = [];
    public string? AppRoot { get; init; }
    public IReadOnlyList<string> InAppInclude { get; init; } = [];
    public IReadOnlyList<string> InAppExclude { get; init; } = [];
    public bool Enabled { get; init; } = true;
    public bool Debug { get; init; }
    public int MaxVarDepth { get; init; } = 5;
    public int MaxVariables { get; init; } = 1000;
    public int MaxCollectionSize { get; init; } = 10;
    public int MaxStringLength { get; init; } = 1024;
    public int MaxTpProcessTimeMs { get; init; } = 100;
    /// <summary>Snapshots per second for the whole process; -1 = no cap.</summary>
    public int MaxSnapshotsPerSecond { get; init; } = 100;
    /// <summary>Capacity of the send queue; when full, new snapshots are dropped and counted.</summary>
    public int QueueCapacity { get; init; } = 1000;
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public IReadOnlyList<string> RedactionPatterns { get; init; } = [];

    /// <summary>
    /// Why the agent must stay idle whatever <c>DEEP_ENABLED</c> says (<see cref="Enabled"/> is then false): a
    /// DEEP_SERVICE_URL that is not a server address. Sending to the default (localhost) instead would look like
    /// working while every snapshot went nowhere, or to the wrong server.
    /// </summary>
    public string? DisabledReason { get; init; }

    /// <summary>Exception Replay (<c>DEEP_EXCEPTION_REPLAY</c>, default on; false hooks nothing).</summary>
    public bool ExceptionReplay { get; init; } = true;

    /// <summary>At most one Exception Replay snapshot per fingerprint per this (<c>DEEP_EXCEPTION_REPLAY_INTERVAL</c>, seconds).</summary>
    public TimeSpan ExceptionReplayInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Exceptions Exception Replay examines per second (<c>DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND</c>; -1 no
    /// limit): each re-raise's stack walk and each escape a host reports takes one; beyond it they pass unexamined.
    /// </summary>
    public int ExceptionReplayAnalysesPerSecond { get; init; } = 100;

    /// <summary>What was wrong with the given values (each fell back to its default).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Reads the settings from <paramref name="env"/> (the process environment when null).</summary>
    public static AgentSettings FromEnvironment(IReadOnlyDictionary<string, string?>? env = null)
    {
        env ??= ReadProcessEnvironment();
        var warnings = new List<string>();
        var defaults = new AgentSettings();
        string? Get(string name) => env.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var secureText = Get("DEEP_SERVICE_SECURE");
        bool? secure = secureText is null ? null : ParseBool("DEEP_SERVICE_SECURE", secureText, warnings);
        var urlText = Get("DEEP_SERVICE_URL");
        var urlProblems = new List<string>();
        var url = ParseServiceUrl(urlText, secure, urlProblems) ?? defaults.ServiceUrl;
        string? disabledReason = null;
        if (urlText is not null && urlProblems.Count > 0)
            disabledReason = urlProblems[0] + ": the agent stays idle (it does not fall back to localhost); fix DEEP_SERVICE_URL";
        else
            warnings.AddRange(urlProblems);

        var serviceName = Get("DEEP_SERVICE_NAME") ?? Get("OTEL_SERVICE_NAME");
        var attributes = new List<KeyValuePair<string, string>>();
        attributes.AddRange(ParsePairs("OTEL_RESOURCE_ATTRIBUTES", Get("OTEL_RESOURCE_ATTRIBUTES"), warnings));
        attributes.AddRange(ParsePairs("DEEP_RESOURCE_ATTRIBUTES", Get("DEEP_RESOURCE_ATTRIBUTES"), warnings));

        return new AgentSettings
        {
            ServiceUrl = url,
            PollInterval = TimeSpan.FromSeconds(ParseNumber("DEEP_POLL_TIMER", Get("DEEP_POLL_TIMER"), defaults.PollInterval.TotalSeconds, 0.05, 86_400, warnings)),
            LongPoll = TimeSpan.FromSeconds(ParseNumber("DEEP_LONG_POLL", Get("DEEP_LONG_POLL"), defaults.LongPoll.TotalSeconds, 0, 3600, warnings)),
            AuthProvider = ParseAuthProvider(Get("DEEP_SERVICE_AUTH_PROVIDER"), Get("DEEP_SERVICE_USERNAME"), warnings),
            Username = Get("DEEP_SERVICE_USERNAME"),
            Password = Get("DEEP_SERVICE_PASSWORD"),
            Headers = ParsePairs("DEEP_SERVICE_HEADERS", Get("DEEP_SERVICE_HEADERS"), warnings),
            ServiceName = serviceName,
            ResourceAttributes = attributes,
            AppRoot = Get("DEEP_APP_ROOT"),
            InAppInclude = ParseList(Get("DEEP_IN_APP_INCLUDE")),
            InAppExclude = ParseList(Get("DEEP_IN_APP_EXCLUDE")),
            Enabled = disabledReason is null && (Get("DEEP_ENABLED") is { } enabled ? ParseBool("DEEP_ENABLED", enabled, warnings) ?? true : true),
            DisabledReason = disabledReason,
            Debug = Get("DEEP_DEBUG") is { } debug && (ParseBool("DEEP_DEBUG", debug, warnings) ?? false),
            MaxVarDepth = ParseInt("DEEP_MAX_VAR_DEPTH", Get("DEEP_MAX_VAR_DEPTH"), defaults.MaxVarDepth, 0, 100, warnings),
            MaxVariables = ParseInt("DEEP_MAX_VARIABLES", Get("DEEP_MAX_VARIABLES"), defaults.MaxVariables, 1, 1_000_000, warnings),
            MaxCollectionSize = ParseInt("DEEP_MAX_COLLECTION_SIZE", Get("DEEP_MAX_COLLECTION_SIZE"), defaults.MaxCollectionSize, 0, 1_000_000, warnings),
            MaxStringLength = ParseInt("DEEP_MAX_STRING_LENGTH", Get("DEEP_MAX_STRING_LENGTH"), defaults.MaxStringLength, 0, 10_000_000, warnings),
            MaxTpProcessTimeMs = ParseInt("DEEP_MAX_TP_PROCESS_TIME", Get("DEEP_MAX_TP_PROCESS_TIME"), defaults.MaxTpProcessTimeMs, 1, 60_000, warnings),
            MaxSnapshotsPerSecond = ParseInt("DEEP_MAX_SNAPSHOTS_PER_SECOND", Get("DEEP_MAX_SNAPSHOTS_PER_SECOND"), defaults.MaxSnapshotsPerSecond, -1, 1_000_000, warnings),
            QueueCapacity = ParseInt("DEEP_QUEUE_SIZE", Get("DEEP_QUEUE_SIZE"), defaults.QueueCapacity, 1, 1_000_000, warnings),
            FlushTimeout = TimeSpan.FromMilliseconds(ParseInt("DEEP_FLUSH_TIMEOUT_MS", Get("DEEP_FLUSH_TIMEOUT_MS"), (int)defaults.FlushTimeout.TotalMilliseconds, 0, 600_000, warnings)),
            RedactionPatterns = ParseList(Get("DEEP_REDACT")),
            ExceptionReplay = Get("DEEP_EXCEPTION_REPLAY") is not { } replay || (ParseBool("DEEP_EXCEPTION_REPLAY", replay, warnings) ?? true),
            ExceptionReplayInterval = TimeSpan.FromSeconds(ParseNumber("DEEP_EXCEPTION_REPLAY_INTERVAL", Get("DEEP_EXCEPTION_REPLAY_INTERVAL"), defaults.ExceptionReplayInterval.TotalSeconds, 1, 7 * 86_400, warnings)),
            ExceptionReplayAnalysesPerSecond = ParseInt("DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND", Get("DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND"), defaults.ExceptionReplayAnalysesPerSecond, -1, 1_000_000, warnings),
            Warnings = warnings,
        };
    }

    /// <summary>The process's <c>DEEP_*</c> and <c>OTEL_*</c> variables, unparsed (cheap: the startup hook's part).</summary>
    internal static Dictionary<string, string?> ReadProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string k && (k.StartsWith("DEEP_", StringComparison.Ordinal) || k.StartsWith("OTEL_", StringComparison.Ordinal)))
                result[k] = e.Value as string;
        }
        return result;
    }

    /// <summary>Parses <c>http(s)://host:port</c> or a bare <c>host:port</c> (then TLS unless localhost or told otherwise).</summary>
    internal static Uri? ParseServiceUrl(string? text, bool? secure, List<string> warnings)
    {
        if (text is null)
        {
            return secure == true ? new Uri("https://localhost:43315") : null;
        }
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0)
            {
                if (secure is { } s && s != (uri.Scheme == Uri.UriSchemeHttps))
                    uri = new UriBuilder(uri) { Scheme = s ? Uri.UriSchemeHttps : Uri.UriSchemeHttp, Port = uri.Port }.Uri;
                return uri;
            }
            warnings.Add($"DEEP_SERVICE_URL '{text}' is not an http(s) URL or host:port");
            return null;
        }
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon] : text;
        var port = 43315;
        if (colon > 0 && !(int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536))
        {
            warnings.Add($"DEEP_SERVICE_URL '{text}' has an invalid port");
            return null;
        }
        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            warnings.Add($"DEEP_SERVICE_URL '{text}' has an invalid host");
            return null;
        }
        var local = host is "localhost" or "127.0.0.1" or "::1" or "[::1]";
        var tls = secure ?? !local;
        return new Uri($"{(tls ? "https" : "http")}://{host}:{port}");
    }

    /// <summary>
    /// <c>basic</c> or <c>none</c>. The Python agent loads a provider class by name; there is no such plug-in point
    /// here, so any other name is reported instead of silently sending no credentials.
    /// </summary>
    internal static string? ParseAuthProvider(string? text, string? username, List<string> warnings)
    {
        if (text is null)
        {
            return null;
        }
        var name = text.ToLowerInvariant();
        if (name is "basic")
        {
            if (username is null)
                warnings.Add("DEEP_SERVICE_AUTH_PROVIDER 'basic' needs DEEP_SERVICE_USERNAME (and DEEP_SERVICE_PASSWORD); sending an empty user name");
            return name;
        }
        if (name is "none")
        {
            return name;
        }
        warnings.Add($"DEEP_SERVICE_AUTH_PROVIDER '{text}' is not supported (use basic, or none; for a token use DEEP_SERVICE_HEADERS=authorization=Bearer%20KEY); no credentials are sent");
        return "none";
    }

    internal static bool? ParseBool(string name, string text, List<string> warnings)
    {
        switch (text.ToLowerInvariant())
        {
            case "true" or "1" or "yes" or "y" or "on" or "t":
                return true;
            case "false" or "0" or "no" or "n" or "off" or "f":
                return false;
            default:
                warnings.Add($"{name} '{text}' is not a boolean; using the default");
                return null;
        }
    }

    internal static int ParseInt(string name, string? text, int fallback, int min, int max, List<string> warnings)
    {
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        warnings.Add($"{name} '{text}' is not an integer in [{min}, {max}]; using the default {fallback}");
        return fallback;
    }

    internal static double ParseNumber(string name, string? text, double fallback, double min, double max, List<string> warnings)
    {
        if (text is null) return fallback;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= min && value <= max) return value;
        warnings.Add($"{name} '{text}' is not a number in [{min}, {max}]; using the default {fallback.ToString(CultureInfo.InvariantCulture)}");
        return fallback;
    }

    /// <summary>Parses <c>k=v,k=v</c>; values may contain '='; entries without a key are skipped with a warning.</summary>
    internal static List<KeyValuePair<string, string>> ParsePairs(string name, string? text, List<string> warnings)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (text is null) return result;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                warnings.Add($"{name}: '{part}' is not key=value; ignored");
                continue;
            }
            result.Add(new(part[..eq].Trim(), Uri.UnescapeDataString(part[(eq + 1)..].Trim())));
        }
        return result;
    }

    internal static List<string> ParseList(string? text) =>
        text is null ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
