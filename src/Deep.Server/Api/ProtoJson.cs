using System.Text.Json;
using Deep.Tracepoints;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Deep.Server.Api;

/// <summary>The protobuf JSON mapping, as the DEEP server speaks it: lowerCamel names, 64-bit integers as strings, bytes as base64.</summary>
internal static class ProtoJson
{
    public static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    /// <summary>Accepts both the JSON names and the proto field names (snake_case); ignores unknown fields as the DEEP server does.</summary>
    public static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>
    /// Which fields of <paramref name="json"/> (an object the parser refused as a <paramref name="type"/>) it cannot
    /// read, each named by its proto name: <c>line_number</c>, <c>args.fire_count</c>, <c>watches[1]</c>,
    /// <c>metrics[0].type</c>. Each field is parsed alone, so every unreadable one is named, not just the first.
    /// Descends into the elements of a repeated message field once (a tracepoint's metrics), no deeper.
    /// </summary>
    public static List<FieldError> UnreadableFields(MessageDescriptor type, JsonElement json, string prefix = "", bool descend = true)
    {
        var errors = new List<FieldError>();
        foreach (var property in json.EnumerateObject())
        {
            // An unknown name is ignored by the parser, so it is never what failed.
            if (FindField(type, property.Name) is not { } field) continue;
            var name = prefix + field.Name;
            if (ParseError(type, property.Name, property.Value.GetRawText()) is not { } reason) continue;
            var before = errors.Count;
            if (field.IsMap && property.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in property.Value.EnumerateObject())
                {
                    var one = "{" + JsonSerializer.Serialize(entry.Name) + ":" + entry.Value.GetRawText() + "}";
                    if (ParseError(type, property.Name, one) is { } entryReason) errors.Add(new($"{name}.{entry.Name}", entryReason));
                }
            }
            else if (!field.IsMap && field.IsRepeated && field.FieldType != FieldType.Message && property.Value.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (ParseError(type, property.Name, "[" + item.GetRawText() + "]") is { } itemReason) errors.Add(new($"{name}[{i}]", itemReason));
                    i++;
                }
            }
            else if (descend && !field.IsMap && field.IsRepeated && field.FieldType == FieldType.Message && field.Name != "targeting" && property.Value.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (ParseError(type, property.Name, "[" + item.GetRawText() + "]") is { } itemReason)
                    {
                        var inner = item.ValueKind == JsonValueKind.Object ? UnreadableFields(field.MessageType, item, $"{name}[{i}].", descend: false) : [];
                        errors.AddRange(inner.Count > 0 ? inner : [new FieldError($"{name}[{i}]", itemReason)]);
                    }
                    i++;
                }
            }
            if (errors.Count == before) errors.Add(new(name, reason));
        }
        return errors;
    }

    private static FieldDescriptor? FindField(MessageDescriptor type, string jsonName)
    {
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (field.JsonName == jsonName || field.Name == jsonName) return field;
        }
        return null;
    }

    /// <summary>Why <c>{"name": value}</c> is not a readable <paramref name="type"/>, or null when it is.</summary>
    private static string? ParseError(MessageDescriptor type, string name, string valueJson)
    {
        try
        {
            Parser.Parse("{" + JsonSerializer.Serialize(name) + ":" + valueJson + "}", type);
            return null;
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            return "cannot be read: " + ex.Message;
        }
    }
}
