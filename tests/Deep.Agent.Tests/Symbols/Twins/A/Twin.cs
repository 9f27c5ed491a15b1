namespace Deep.Agent.Tests.Symbols.Twins.A;

// Two files named Twin.cs in different folders: a bare "Twin.cs" is ambiguous.
internal static class Twin
{
    public static int Value(int x) => x + 1; // @twin-a
}
