using System.Reflection;

namespace Deep.Ui.Tests.Infrastructure;

/// <summary>Where the repository and the built <c>deep</c> command are, as recorded at build time.</summary>
internal static class Repo
{
    private static string Metadata(string key) =>
        typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"assembly metadata {key} is missing");

    /// <summary>The repository root (ends with a slash).</summary>
    public static string Root => Metadata("DeepRoot");

    /// <summary>The built <c>deep.dll</c> (src/Deep.Cli), run with <c>dotnet</c>.</summary>
    public static string DeepCliDll => Metadata("DeepCliDll");

    /// <summary>The repository's .proto files' root folder.</summary>
    public static string ProtoRoot => Path.Combine(Root, "proto");

    /// <summary>A fresh empty folder under the system temp folder.</summary>
    public static string NewTempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
