using System.Reflection;
using System.Runtime.Loader;

namespace Deep.TestApp;

// Assemblies loaded later (issue 6): the "plugins" scenario loads tests/TestApps/Deep.TestPlugin (built into
// plugins/ next to the app, not referenced by it) into two load contexts of its own, one of them collectible, the
// first time it runs, and calls the plugin in both.
internal static class Plugins
{
    private static readonly object Gate = new();
    private static List<(string Context, MethodInfo Greet)>? s_loaded;

    public static string Run(int n)
    {
        var loaded = Load();
        return string.Join("|", loaded.Select(p => (string)p.Greet.Invoke(null, [p.Context, n])!));
    }

    private static List<(string Context, MethodInfo Greet)> Load()
    {
        lock (Gate)
        {
            if (s_loaded is not null)
            {
                return s_loaded;
            }
            string path = Path.Combine(AppContext.BaseDirectory, "plugins", "Deep.TestPlugin.dll");
            var result = new List<(string Context, MethodInfo Greet)>();
            foreach (var (name, collectible) in new[] { ("plugins-a", false), ("plugins-b", true) })
            {
                var context = new AssemblyLoadContext(name, collectible);
                var assembly = context.LoadFromAssemblyPath(path);
                var greet = assembly.GetType("Deep.TestPlugin.PluginGreeter", throwOnError: true)!.GetMethod("Greet")!;
                result.Add((name, greet));
            }
            s_loaded = result;
            return result;
        }
    }
}
