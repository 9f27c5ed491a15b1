namespace Deep.Agent.Capture;

/// <summary>Decides which names are captured as <c>[redacted]</c>.</summary>
public sealed class Redactor
{
    /// <summary>Creates a redactor matching any of <paramref name="patterns"/>.</summary>
    public Redactor(IEnumerable<string> patterns) { }

    /// <summary>The default list (password, secret, token, ...).</summary>
    public static Redactor Default { get; } = new([]);

    /// <summary>True when a value of this name must not be captured.</summary>
    public bool IsRedacted(string name) => throw new NotImplementedException();
}
