using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace Deep.TestApp;

// Assemblies loaded later (issue 6): tests/TestApps/Deep.TestPlugin is built into plugins/ next to the app, not
// referenced by it. "plugins" loads it into the load context "plugins-a" (once) and calls it there, then loads it
// into a new collectible context "plugins-b", calls it and unloads that context. "plugins-more" also loads it into a
// third context "plugins-c" (once, after "plugins" ran) and calls it in every non-collectible context.
// "plugins-collected" says how many of the unloaded collectible contexts are still alive after full collections.
internal static class Plugins
{
    private static readonly object Gate = new();
    private static readonly List<(string Context, MethodInfo Greet)> Loaded = [];
    private static readonly List<WeakReference> Unloaded = [];

    private static string PluginPath => Path.Combine(AppContext.BaseDirectory, "plugins", "Deep.TestPlugin.dll");

    public static string Run(string name, int n)
    {
        lock (Gate)
        {
            if (Loaded.Count == 0 || (name == "plugins-more" && Loaded.Count == 1))
            {
                string context = Loaded.Count == 0 ? "plugins-a" : "plugins-c";
                Loaded.Add((context, Greeter(new AssemblyLoadContext(context).LoadFromAssemblyPath(PluginPath))));
            }
            var results = Loaded.Select(p => (string)p.Greet.Invoke(null, [p.Context, n])!).ToList();
            if (name == "plugins")
            {
                results.Add(RunCollectible(n));
            }
            return string.Join("|", results);
        }
    }

    public static string Collected()
    {
        for (int i = 0; i < 10; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        lock (Gate)
        {
            int alive = Unloaded.Count(w => w.IsAlive);
            return alive.ToString(CultureInfo.InvariantCulture) + " of " + Unloaded.Count.ToString(CultureInfo.InvariantCulture) + " alive";
        }
    }

    // Not inlined: nothing of the collectible context may stay on the caller's stack frame.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string RunCollectible(int n)
    {
        var context = new AssemblyLoadContext("plugins-b", isCollectible: true);
        string result = (string)Greeter(context.LoadFromAssemblyPath(PluginPath)).Invoke(null, ["plugins-b", n])!;
        context.Unload();
        Unloaded.Add(new WeakReference(context));
        return result;
    }

    private static MethodInfo Greeter(Assembly plugin) =>
        plugin.GetType("Deep.TestPlugin.PluginGreeter", throwOnError: true)!.GetMethod("Greet")!;
}
