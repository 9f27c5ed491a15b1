using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Deep.Protocol;

namespace Deep.Agent.Settings;

/// <summary>The agent's resource (spec §9): who this process is, sent with every poll and snapshot.</summary>
internal static class ResourceDetector
{
    /// <summary>
    /// The SDK version we report: the agent assembly's informational version, the package version of
    /// Directory.Build.props (what <c>deep --version</c> prints too).
    /// </summary>
    public static string SdkVersion { get; } =
        typeof(ResourceDetector).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ResourceDetector).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public static Resource Detect(AgentSettings settings)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        string processName;
        try
        {
            processName = Process.GetCurrentProcess().ProcessName;
        }
        catch
        {
            processName = "dotnet";
        }
        attributes["service.name"] = $"unknown_service:{processName}";
        attributes["telemetry.sdk.language"] = "dotnet";
        attributes["telemetry.sdk.name"] = "deep";
        attributes["telemetry.sdk.version"] = SdkVersion;
        attributes["process.runtime.name"] = ".NET";
        attributes["process.runtime.version"] = Environment.Version.ToString();
        attributes["process.runtime.description"] = RuntimeInformation.FrameworkDescription;
        attributes["process.pid"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        attributes["host.name"] = Environment.MachineName;
        attributes["os.type"] = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "darwin" : "linux";
        // Explicit attributes win over detected ones; the service name setting wins over everything.
        foreach (var (k, v) in settings.ResourceAttributes) attributes[k] = v;
        if (settings.ServiceName is { } name) attributes["service.name"] = name;

        var resource = new Resource();
        foreach (var (k, v) in attributes) resource.Attributes.Add(new KeyValue(k, v));
        return resource;
    }
}
