namespace Deep.Agent.Capture;

/// <summary>Type names as a C# programmer writes them.</summary>
public static class CSharpTypeNames
{
    /// <summary>The C# name of <paramref name="type"/>, e.g. <c>List&lt;string&gt;</c>, <c>int?</c>.</summary>
    public static string Of(Type type) => throw new NotImplementedException();
}
