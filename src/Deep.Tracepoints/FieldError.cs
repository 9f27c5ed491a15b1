namespace Deep.Tracepoints;

/// <summary>
/// One problem with a tracepoint, named by the field it is about, so the HTTP API, the CLI and the web UI can show it
/// next to that field. Field names follow the DEEP tracepoint's proto (snake_case) names: <c>path</c>,
/// <c>line_number</c>, <c>args.condition</c>, <c>args.fire_count</c>, <c>watches[0]</c> (zero-based),
/// <c>metrics[1].name</c>, <c>metrics[1].expression</c>, <c>targeting</c>; <c>tracepoint</c> for the whole thing.
/// </summary>
public readonly record struct FieldError(string Field, string Message)
{
    /// <summary>"field: message", as one line of text.</summary>
    public override string ToString() => $"{Field}: {Message}";
}
