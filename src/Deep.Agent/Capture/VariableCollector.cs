using Deep.Protocol;

namespace Deep.Agent.Capture;

/// <summary>Walks captured values into a snapshot's <c>var_lookup</c>. One per snapshot.</summary>
public sealed class VariableCollector
{
    /// <summary>Creates a collector for one snapshot.</summary>
    public VariableCollector(CaptureLimits limits, Redactor redactor) { }

    /// <summary>Captures a value and everything reachable from it within the limits; never throws.</summary>
    public VariableID Capture(string name, object? value, Type declaredType, IReadOnlyList<string>? modifiers = null, string? originalName = null)
        => throw new NotImplementedException();

    /// <summary>The snapshot's <c>var_lookup</c>.</summary>
    public Dictionary<string, Variable> VarLookup { get; } = new();
}
