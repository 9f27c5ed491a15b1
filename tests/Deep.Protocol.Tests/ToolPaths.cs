using System.Diagnostics;

namespace Deep.Protocol.Tests;

/// <summary>Where the repository and the external tools the compatibility tests need are.</summary>
internal static class ToolPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string ProtoRoot => Path.Combine(RepositoryRoot, "proto");

    public static IReadOnlyList<string> ProtoFiles => Directory
        .GetFiles(ProtoRoot, "*.proto", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(ProtoRoot, f))
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>A tool the test needs; a clear failure naming the fix when it is missing.</summary>
    public static string Require(string path, string what)
    {
        if (!File.Exists(path))
            Assert.Fail($"{what} is missing ({path} not found). Run scripts/prereqs.sh (it installs the Debian packages the tests need).");
        return path;
    }

    /// <summary>Runs a tool to completion (bounded), returning its exit code and output.</summary>
    public static (int ExitCode, string Output) Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepositoryRoot,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} did not finish in time");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "proto", "deepproto"))) return dir.FullName;
        }
        throw new InvalidOperationException("could not find the repository root (a folder with proto/deepproto) above " + AppContext.BaseDirectory);
    }
}
