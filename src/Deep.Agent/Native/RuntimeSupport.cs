using System.Reflection;

namespace Deep.Agent.Native;

/// <summary>
/// The .NET runtimes the agent supports, and the few newer runtime facts it needs while built for .NET 8. One
/// agent assembly (net8.0) loads into .NET 8, 9 and 10 applications; the profiler checks the same range itself.
/// </summary>
internal static class RuntimeSupport
{
    /// <summary>The oldest supported runtime major version.</summary>
    internal const int OldestMajor = 8;

    /// <summary>The newest supported (tested) runtime major version.</summary>
    internal const int NewestMajor = 10;

    /// <summary>
    /// <c>GenericParameterAttributes.AllowByRefLike</c> (C# <c>allows ref struct</c>), a .NET 9 enum member; the
    /// runtime sets the bit on .NET 9+ and it is never set on .NET 8, where the constraint does not exist.
    /// </summary>
    internal const GenericParameterAttributes AllowByRefLike = (GenericParameterAttributes)0x20;

    /// <summary>Null when <paramref name="version"/> is supported, else one line saying why the agent stays out.</summary>
    internal static string? WhyUnsupported(Version version) =>
        version.Major is >= OldestMajor and <= NewestMajor
            ? null
            : $"deep agent: .NET {version} is not supported (.NET {OldestMajor} to {NewestMajor}): the agent stays out of this process";

    /// <summary>Why the running runtime is not supported, or null.</summary>
    internal static string? WhyUnsupported() => WhyUnsupported(Environment.Version);
}
