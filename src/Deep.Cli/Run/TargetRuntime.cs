using System.Text.Json;
using Deep.Agent.Native;

namespace Deep.Cli.Run;

/// <summary>
/// The .NET runtime a command will run on, as far as its <c>runtimeconfig.json</c> says before it starts:
/// <c>dotnet App.dll</c> and an app's own executable (framework-dependent or self-contained) are recognised;
/// anything else (a script, <c>dotnet run</c>) is not known, and <c>deep run</c> lets the agent check for itself.
/// </summary>
/// <param name="Version">The runtime version the app names (the one it includes when self-contained).</param>
/// <param name="MayRollToNewerMajor">Framework-dependent with a roll-forward policy that may pick a newer major.</param>
/// <param name="ConfigPath">The runtimeconfig.json read.</param>
internal sealed record TargetRuntime(Version Version, bool MayRollToNewerMajor, string ConfigPath)
{
    /// <summary>The runtime of <paramref name="command"/>, or null when it cannot be told.</summary>
    public static TargetRuntime? Of(IReadOnlyList<string> command, Func<string, string?> environment)
    {
        try
        {
            var config = ConfigOf(command, out var rollForward);
            if (config is null || !File.Exists(config))
                return null;
            return Read(config, rollForward is null ? environment : name => name == "DOTNET_ROLL_FORWARD" ? rollForward : environment(name));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException or InvalidOperationException)
        {
            return null; // unreadable: the agent and the profiler still check the runtime they are in
        }
    }

    /// <summary>Null when the runtime is supported (or may be), else the message that stops <c>deep run</c>.</summary>
    public string? WhyUnsupported()
    {
        if (Version.Major >= RuntimeSupport.OldestMajor && Version.Major <= RuntimeSupport.NewestMajor)
            return null;
        if (Version.Major < RuntimeSupport.OldestMajor && MayRollToNewerMajor)
            return null; // it may roll forward onto a supported runtime: the agent and the profiler check there
        return $"the program runs on .NET {Version.Major}.{Version.Minor} ({ConfigPath}); deep supports .NET "
            + $"{RuntimeSupport.OldestMajor} to {RuntimeSupport.NewestMajor}. Build it for one of those, or run it without deep";
    }

    private static string? ConfigOf(IReadOnlyList<string> command, out string? rollForward)
    {
        rollForward = null;
        if (command.Count == 0)
            return null;
        var program = command[0];
        if (Path.GetFileNameWithoutExtension(program) == "dotnet")
        {
            // dotnet [exec] [host options, each with a value] App.dll [app arguments]
            string? explicitConfig = null;
            for (int i = 1; i < command.Count; i++)
            {
                var argument = command[i];
                if (i == 1 && argument == "exec")
                    continue;
                if (argument.StartsWith("--", StringComparison.Ordinal))
                {
                    if (i + 1 >= command.Count)
                        return null;
                    if (argument == "--runtimeconfig")
                        explicitConfig = command[i + 1];
                    else if (argument == "--roll-forward")
                        rollForward = command[i + 1];
                    else if (argument == "--fx-version")
                        return null; // a runtime chosen on the command line: the agent checks it there
                    i++;
                    continue;
                }
                if (!argument.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                    return null; // dotnet run, dotnet test...: not an app we can read
                return Path.GetFullPath(explicitConfig ?? Path.ChangeExtension(argument, ".runtimeconfig.json"));
            }
            return null;
        }
        if (!program.Contains('/', StringComparison.Ordinal))
            return null; // found on PATH: not an app folder we can read with confidence
        return Path.GetFullPath(program) + ".runtimeconfig.json";
    }

    internal static TargetRuntime? Read(string configPath, Func<string, string?> environment)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(configPath));
        if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("runtimeOptions", out var options)
            || options.ValueKind != JsonValueKind.Object)
            return null;
        // Self-contained: "includedFrameworks"; framework-dependent: "framework" or "frameworks".
        bool selfContained = options.TryGetProperty("includedFrameworks", out var included);
        var version = selfContained ? NetCoreVersion(included) : options.TryGetProperty("framework", out var one) ? NetCoreVersion(one)
            : options.TryGetProperty("frameworks", out var many) ? NetCoreVersion(many) : null;
        if (version is null)
            return null;
        string? rollForward = environment("DOTNET_ROLL_FORWARD");
        if (string.IsNullOrEmpty(rollForward) && options.TryGetProperty("rollForward", out var roll) && roll.ValueKind == JsonValueKind.String)
            rollForward = roll.GetString();
        bool mayRoll = !selfContained && (string.Equals(rollForward, "Major", StringComparison.OrdinalIgnoreCase)
            || string.Equals(rollForward, "LatestMajor", StringComparison.OrdinalIgnoreCase));
        return new TargetRuntime(version, mayRoll, configPath);
    }

    // The Microsoft.NETCore.App entry of one framework object or an array of them (ASP.NET Core apps list both).
    private static Version? NetCoreVersion(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (NetCoreVersion(item) is { } found)
                    return found;
            }
            return null;
        }
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("name", out var name) || name.GetString() is not { } frameworkName
            || !element.TryGetProperty("version", out var version))
            return null;
        // Microsoft.AspNetCore.App and the like share the runtime's major version.
        if (!frameworkName.StartsWith("Microsoft.", StringComparison.Ordinal))
            return null;
        var text = version.GetString() ?? "";
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        return Version.TryParse(dash >= 0 ? text[..dash] : text, out var parsed) ? parsed : null;
    }
}
