using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Attach;

/// <summary>
/// A .NET program started as a user would start it, <c>dotnet app.dll</c>: no deep run, no profiler variables,
/// no startup hook. Driven over stdin; its output is kept for failure messages.
/// </summary>
internal sealed class PlainProcess : IAsyncDisposable
{
    private static readonly string[] Stripped = ["DOTNET_STARTUP_HOOKS", "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH", "CORECLR_PROFILER_PATH_64"];

    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly StringBuilder _log = new();

    private PlainProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.CompleteAdding();
                return;
            }
            Append("out: " + e.Data);
            _lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append("err: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts <c>dotnet <paramref name="appDll"/></c> and waits for its "ready" line.</summary>
    public static PlainProcess Start(string appDll, IDictionary<string, string>? environment = null) =>
        Start("dotnet", [appDll], environment);

    /// <summary>Starts an executable (an apphost) and waits for its "ready" line.</summary>
    public static PlainProcess StartExecutable(string path, IDictionary<string, string>? environment = null) =>
        Start(path, [], environment);

    private static PlainProcess Start(string file, string[] arguments, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var name in Stripped)
        {
            info.Environment.Remove(name);
        }
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("DEEP_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new PlainProcess(Process.Start(info)!);
        process.WaitFor(line => line == "ready", TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>Reads lines until one matches; returns it.</summary>
    public string WaitFor(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_lines.TryTake(out var line, deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero) && match(line))
            {
                return line;
            }
            if (_lines.IsCompleted)
            {
                break;
            }
        }
        throw new TimeoutException($"the app did not print the expected line; it said:\n{Log}");
    }

    /// <summary>Sends a line and returns the text after "ok &lt;verb&gt; " of the answer.</summary>
    public string Call(string line)
    {
        var verb = line.Split(' ')[0];
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
        var answer = WaitFor(l => l.StartsWith($"ok {verb}", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        return answer.Length > verb.Length + 4 ? answer[(verb.Length + 4)..] : "";
    }

    private void Append(string line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync() => await DeepRunProcess.EndAsync(_process);
}
