using System.Collections.Concurrent;
using System.Diagnostics;

namespace Deep.Protocol.Tests.Interop;

/// <summary>
/// Python grpcio stubs generated from our proto/ with Debian's protoc and grpc_python_plugin, once per test run,
/// into a temporary folder. (Debian's grpc_tools.protoc is too old for proto3 optional.)
/// </summary>
public sealed class PythonStubs : IDisposable
{
    public const string Python = "/usr/bin/python3";

    public PythonStubs()
    {
        ToolPaths.Require(Python, "Debian's python3");
        var protoc = ToolPaths.Require("/usr/bin/protoc", "protoc (Debian package protobuf-compiler)");
        var plugin = ToolPaths.Require("/usr/bin/grpc_python_plugin", "grpc_python_plugin (Debian package protobuf-compiler-grpc)");
        var (importExit, importLog) = ToolPaths.Run(Python, ["-c", "import grpc, google.protobuf"]);
        if (importExit != 0)
            Assert.Fail($"Python grpcio/protobuf are missing ({importLog.Trim()}). Run scripts/prereqs.sh (Debian packages python3-grpcio, python3-protobuf).");

        Directory = Path.Combine(Path.GetTempPath(), $"deep-python-stubs-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        var (exit, log) = ToolPaths.Run(protoc,
        [
            "-I", ToolPaths.ProtoRoot, $"--python_out={Directory}", $"--grpc_python_out={Directory}",
            $"--plugin=protoc-gen-grpc_python={plugin}", .. ToolPaths.ProtoFiles,
        ]);
        if (exit != 0) Assert.Fail($"protoc could not generate the Python stubs:\n{log}");
    }

    public string Directory { get; }

    public string ScriptsDirectory => Path.Combine(AppContext.BaseDirectory, "Interop", "python");

    /// <summary>Starts a Python script with the stubs on its path; stdout lines are collected.</summary>
    public PythonProcess Start(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-u");
        start.ArgumentList.Add(Path.Combine(ScriptsDirectory, script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["PYTHONPATH"] = Directory;
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        return new PythonProcess(Process.Start(start)!);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}

/// <summary>A running Python process; disposing it always ends it.</summary>
public sealed class PythonProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();

    public PythonProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.CompleteAdding();
            else _lines.Add(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) _errors.Enqueue(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string StandardError => string.Join('\n', _errors);

    /// <summary>The next stdout line starting with <paramref name="prefix"/>, waiting up to <paramref name="timeout"/>.</summary>
    public string WaitForLine(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_lines.TryTake(out var line, left))
                throw new Xunit.Sdk.XunitException($"python printed no '{prefix}' line within {timeout}; stderr:\n{StandardError}");
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..].Trim();
        }
    }

    /// <summary>Every stdout line until the process exits (bounded), and its exit code.</summary>
    public (int ExitCode, IReadOnlyList<string> Lines) WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
            throw new Xunit.Sdk.XunitException($"python did not exit within {timeout}; stderr:\n{StandardError}");
        _process.WaitForExit();
        return (_process.ExitCode, _lines.ToArray());
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(TimeSpan.FromSeconds(3))) _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
