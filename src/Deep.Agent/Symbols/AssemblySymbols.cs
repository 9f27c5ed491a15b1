using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Deep.Agent.Symbols;

/// <summary>
/// The portable PDB of one loaded assembly: its source documents and, per document, the methods with sequence
/// points in it. Opened lazily (on the first tracepoint that needs it) so an agent with no tracepoints reads nothing.
/// </summary>
internal sealed class AssemblySymbols : IDisposable
{
    private readonly object _gate = new();
    private bool _opened;
    private MetadataReaderProvider? _provider;
    private MetadataReader? _reader;
    private Dictionary<DocumentHandle, string>? _documents;
    private Dictionary<DocumentHandle, List<MethodLines>>? _methodsByDocument;

    /// <summary>Symbols for <paramref name="assembly"/>; nothing is read until they are needed.</summary>
    public AssemblySymbols(Assembly assembly) => Assembly = assembly;

    /// <summary>The assembly.</summary>
    public Assembly Assembly { get; }

    /// <summary>Why there are no symbols (no file, no PDB, a Windows PDB), once <see cref="Documents"/> was asked.</summary>
    public string? NoSymbolsReason { get; private set; }

    /// <summary>Where the PDB was found (a file path, or "embedded").</summary>
    public string? PdbLocation { get; private set; }

    /// <summary>The source documents recorded in the PDB (empty when there is none).</summary>
    public IReadOnlyDictionary<DocumentHandle, string> Documents
    {
        get
        {
            EnsureOpen();
            return _documents ?? (IReadOnlyDictionary<DocumentHandle, string>)new Dictionary<DocumentHandle, string>();
        }
    }

    /// <summary>The PDB's metadata reader, or null.</summary>
    public MetadataReader? Reader
    {
        get
        {
            EnsureOpen();
            return _reader;
        }
    }

    /// <summary>Methods with at least one visible sequence point in <paramref name="document"/>.</summary>
    public IReadOnlyList<MethodLines> MethodsIn(DocumentHandle document)
    {
        EnsureOpen();
        lock (_gate)
        {
            if (_reader is null)
            {
                return [];
            }
            _methodsByDocument ??= IndexMethods(_reader);
            return _methodsByDocument.TryGetValue(document, out var list) ? list : [];
        }
    }

    private static Dictionary<DocumentHandle, List<MethodLines>> IndexMethods(MetadataReader reader)
    {
        var index = new Dictionary<DocumentHandle, List<MethodLines>>();
        foreach (var debugHandle in reader.MethodDebugInformation)
        {
            var info = reader.GetMethodDebugInformation(debugHandle);
            if (info.SequencePointsBlob.IsNil)
            {
                continue;
            }
            var perDocument = new Dictionary<DocumentHandle, List<SequencePoint>>();
            var all = new List<SequencePoint>();
            foreach (var sp in info.GetSequencePoints())
            {
                all.Add(sp);
                if (sp.IsHidden)
                {
                    continue;
                }
                if (!perDocument.TryGetValue(sp.Document, out var points))
                {
                    perDocument[sp.Document] = points = [];
                }
                points.Add(sp);
            }
            all.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            var methodDef = debugHandle.ToDefinitionHandle();
            foreach (var (document, points) in perDocument)
            {
                if (!index.TryGetValue(document, out var methods))
                {
                    index[document] = methods = [];
                }
                methods.Add(new MethodLines(methodDef, MetadataTokens.GetToken(methodDef), points, all));
            }
        }
        return index;
    }

    private void EnsureOpen()
    {
        if (Volatile.Read(ref _opened))
        {
            return;
        }
        lock (_gate)
        {
            if (_opened)
            {
                return;
            }
            try
            {
                Open();
            }
            catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException or InvalidOperationException)
            {
                NoSymbolsReason = $"its symbols could not be read: {e.Message}";
                _reader = null;
            }
            Volatile.Write(ref _opened, true);
        }
    }

    private void Open()
    {
        string location = Assembly.IsDynamic ? "" : Assembly.Location;
        if (string.IsNullOrEmpty(location) || !File.Exists(location))
        {
            NoSymbolsReason = "it was not loaded from a file (dynamic, in-memory or single-file), so it has no readable PDB";
            return;
        }
        using var stream = File.OpenRead(location);
        using var pe = new PEReader(stream);
        if (!pe.TryOpenAssociatedPortablePdb(location, OpenIfExists, out var provider, out var pdbPath) || provider is null)
        {
            NoSymbolsReason = pe.ReadDebugDirectory().Any(e => e.Type == DebugDirectoryEntryType.CodeView)
                ? $"no portable PDB was found next to {location} or embedded in it (a Windows PDB cannot be read; build with <DebugType>portable</DebugType>)"
                : $"it was built without debug symbols ({location})";
            return;
        }
        _provider = provider;
        _reader = provider.GetMetadataReader();
        PdbLocation = pdbPath ?? "embedded";
        var documents = new Dictionary<DocumentHandle, string>();
        foreach (var handle in _reader.Documents)
        {
            documents[handle] = _reader.GetString(_reader.GetDocument(handle).Name);
        }
        _documents = documents;
    }

    private static Stream? OpenIfExists(string path) => File.Exists(path) ? File.OpenRead(path) : null;

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _provider?.Dispose();
            _provider = null;
            _reader = null;
            _opened = true;
        }
    }
}

/// <summary>One method's sequence points: the visible ones in one document, and all of them in IL order.</summary>
/// <param name="Handle">The method definition.</param>
/// <param name="Token">Its metadata token.</param>
/// <param name="Points">Its visible sequence points in the document.</param>
/// <param name="AllPoints">All its sequence points (hidden ones too, every document), ordered by IL offset.</param>
internal sealed record MethodLines(MethodDefinitionHandle Handle, int Token, List<SequencePoint> Points, List<SequencePoint> AllPoints)
{
    /// <summary>The first line with code.</summary>
    public int FirstLine => Points.Min(p => p.StartLine);

    /// <summary>The last line with code.</summary>
    public int LastLine => Points.Max(p => p.EndLine);
}
