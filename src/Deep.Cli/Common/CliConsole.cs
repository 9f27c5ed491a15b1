namespace Deep.Cli.Common;

/// <summary>Where a command writes: the real console, or a buffer in tests (which then run the real handlers).</summary>
internal interface ICliConsole
{
    TextWriter Out { get; }

    TextWriter Error { get; }
}

/// <summary>The process's standard output and error.</summary>
internal sealed class SystemConsole : ICliConsole
{
    public TextWriter Out => Console.Out;

    public TextWriter Error => Console.Error;
}

/// <summary>A console that records what was written (thread-safe), for tests and embedding.</summary>
internal sealed class BufferedConsole : ICliConsole
{
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public BufferedConsole()
    {
        Out = TextWriter.Synchronized(_out);
        Error = TextWriter.Synchronized(_error);
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public string OutText
    {
        get
        {
            lock (Out) return _out.ToString();
        }
    }

    public string ErrorText
    {
        get
        {
            lock (Error) return _error.ToString();
        }
    }
}
