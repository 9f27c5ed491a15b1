namespace Deep.Tracepoints;

/// <summary>
/// The parts of a DEEP <c>TracePointConfig</c> that say what a tracepoint does, in plain types: the agent builds it from
/// its hand-written protocol type, the server from the generated one (one small adapter each), so this project
/// depends on neither.
/// </summary>
internal sealed record TracepointInput(
    string? Path,
    uint LineNumber,
    IReadOnlyDictionary<string, string> Args,
    IReadOnlyList<string> Watches,
    IReadOnlyList<MetricInput> Metrics);

/// <summary>A metric of a tracepoint: its name, its value expression (null or blank: the value 1) and its labels.</summary>
internal sealed record MetricInput(string? Name, string? Expression, IReadOnlyList<LabelInput> Labels);

/// <summary>A metric label: computed by <see cref="Expression"/>, or static when that is null.</summary>
internal sealed record LabelInput(string Key, string? Expression);
