using Google.Protobuf;

namespace Deep.Server.Api;

/// <summary>The protobuf JSON mapping, as the DEEP server speaks it: lowerCamel names, 64-bit integers as strings, bytes as base64.</summary>
internal static class ProtoJson
{
    public static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    /// <summary>Accepts both the JSON names and the proto field names (snake_case); ignores unknown fields as the DEEP server does.</summary>
    public static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
}
