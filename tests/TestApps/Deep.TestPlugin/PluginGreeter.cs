using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestPlugin;

/// <summary>What the test app calls in each load context it loaded the plugin into.</summary>
public static class PluginGreeter
{
    /// <summary>A greeting that says which load context ran it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Greet(string context, int n)
    {
        string greeting = "hello from " + context;
        if (greeting.Length == 0)
        {
            greeting = "hello"; // assigned twice: Release builds keep it in a local slot
        }
        int width = greeting.Length + n; // @plugin-line
        return greeting + "#" + width.ToString(CultureInfo.InvariantCulture);
    }
}
