using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Deep.Integration.Tests.Infrastructure;

/// <summary>
/// The test app started through <c>deep run</c>, driven line by line over its stdin; its stdout and stderr are kept
/// so a failing test can show what the process said.
/// </summary>
internal sealed class DeepRunProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly StringBuilder _log = new();

    private DeepRunProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.CompleteAdding();
                return;
            }
            lock (_log)
            {
                _log.AppendLine("out: " + e.Data);
            }
            _lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_log)
                {
                    _log.AppendLine("err: " + e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public Process Process => _process;

    /// <summary>Everything the process wrote so far.</summary>
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

    /// <summary>
    /// The end of the log for a failure message: the app's last lines, then the agent's (stderr) last lines, so that
    /// a runner showing only the tail of a long message still shows what the agent said.
    /// </summary>
    public string Tail
    {
        get
        {
            var lines = Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var app = lines.Where(l => l.StartsWith("out: ", StringComparison.Ordinal)).TakeLast(10);
            var agent = lines.Where(l => !l.StartsWith("out: ", StringComparison.Ordinal)).TakeLast(60);
            return "the app's last lines:\n" + string.Join("\n", app) + "\nthe agent's last lines:\n" + string.Join("\n", agent);
        }
    }

    /// <summary>Starts <c>deep run [runArguments] -- dotnet &lt;app.dll&gt;</c>, or <c>-- &lt;app&gt;</c> for a self-contained executable.</summary>
    public static async Task<DeepRunProcess> StartAsync(string appDll, IEnumerable<string> runArguments, IDictionary<string, string?>? environment = null)
    {
        var deep = await Builds.DeepAsync();
        var info = new ProcessStartInfo(deep)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        info.ArgumentList.Add("run");
        foreach (var argument in runArguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.ArgumentList.Add("--");
        if (appDll.EndsWith(".dll", StringComparison.Ordinal))
        {
            info.ArgumentList.Add("dotnet");
        }
        info.ArgumentList.Add(appDll); // else a self-contained app's own executable
        info.Environment["DEEP_ROOT"] = Repo.Root;
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }
        return new DeepRunProcess(Process.Start(info)!);
    }

    /// <summary>Starts any command (an installed tool's <c>deep run</c>, a script, an app's executable) driven the same way.</summary>
    public static DeepRunProcess Start(ProcessStartInfo info)
    {
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        return new DeepRunProcess(Process.Start(info)!);
    }

    /// <summary>The next line the app prints, within <paramref name="timeout"/>.</summary>
    public string ReadLine(TimeSpan timeout)
    {
        if (_lines.TryTake(out var line, timeout))
        {
            return line;
        }
        throw new TimeoutException($"no line from the app within {timeout.TotalSeconds} s; it said:\n{Log}");
    }

    /// <summary>Waits for "ready" (the build on first use of deep run can take a while).</summary>
    public void WaitReady()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            if (ReadLine(deadline - DateTime.UtcNow) == "ready")
            {
                return;
            }
        }
        throw new TimeoutException("the app never said ready:\n" + Log);
    }

    /// <summary>Runs a scenario and returns its result text.</summary>
    public string Call(string scenario, object? argument = null)
    {
        _process.StandardInput.WriteLine(argument is null ? scenario : $"{scenario} {argument}");
        _process.StandardInput.Flush();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var line = ReadLine(deadline - DateTime.UtcNow);
            if (line.StartsWith($"ok {scenario}", StringComparison.Ordinal))
            {
                return line.Length > scenario.Length + 4 ? line[(scenario.Length + 4)..] : "";
            }
        }
        throw new TimeoutException($"scenario {scenario} did not answer:\n{Log}");
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
