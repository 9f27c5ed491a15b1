using System.Reflection;
using System.Reflection.Metadata;

namespace Deep.Agent.Symbols;

/// <summary>Maps a line of one source document to a method and the IL offset where that line's code begins.</summary>
internal static class LineResolver
{
    /// <summary>Resolves <paramref name="line"/> in <paramref name="document"/> of <paramref name="symbols"/>.</summary>
    public static LineResolution Resolve(AssemblySymbols symbols, DocumentHandle document, string documentPath, int line)
    {
        var methods = symbols.MethodsIn(document);

        // The line itself: the first visible sequence point starting on it. When several methods have code on the
        // line (a lambda written on the line of the statement that creates it), the outer one starts first.
        MethodLines? owner = null;
        SequencePoint chosen = default;
        foreach (var candidate in methods)
        {
            foreach (var sp in candidate.Points)
            {
                if (sp.StartLine != line)
                {
                    continue;
                }
                if (owner is null
                    || sp.StartColumn < chosen.StartColumn
                    || (sp.StartColumn == chosen.StartColumn && ReferenceEquals(owner, candidate) && sp.Offset < chosen.Offset))
                {
                    owner = candidate;
                    chosen = sp;
                }
            }
        }
        if (owner is not null)
        {
            // The first sequence point of that method on the line, by IL offset (a `for` header has several).
            chosen = owner.Points.Where(p => p.StartLine == line).MinBy(p => p.Offset);
        }
        else
        {
            // No code on the line: the next line with code in the innermost method whose code spans the line.
            var enclosing = methods.Where(m => m.FirstLine <= line && line <= m.LastLine)
                .OrderBy(m => m.LastLine - m.FirstLine)
                .FirstOrDefault();
            if (enclosing is null)
            {
                return LineResolution.Failed(ResolutionFailure.NoCodeAtLine,
                    $"line {line} of {documentPath} has no code and is not inside a method body{NearestLines(methods, line)}");
            }
            var next = enclosing.Points.Where(p => p.StartLine > line)
                .OrderBy(p => p.StartLine).ThenBy(p => p.Offset).FirstOrDefault();
            if (next.Document.IsNil)
            {
                return LineResolution.Failed(ResolutionFailure.NoCodeAtLine,
                    $"line {line} of {documentPath} has no code, and no code follows it in its method{NearestLines(methods, line)}");
            }
            owner = enclosing;
            chosen = next;
        }

        MethodBase? method;
        try
        {
            method = symbols.Assembly.ManifestModule.ResolveMethod(owner.Token);
        }
        catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or MissingMethodException)
        {
            return LineResolution.Failed(ResolutionFailure.MethodNotInstrumentable,
                $"the method with token 0x{owner.Token:X8} in {symbols.Assembly.GetName().Name} that owns line {chosen.StartLine} could not be loaded: {e.Message}");
        }
        if (method is null || method.GetMethodBody() is null)
        {
            return LineResolution.Failed(ResolutionFailure.MethodNotInstrumentable,
                $"the method that owns line {chosen.StartLine} of {documentPath} has no IL body (abstract, extern or runtime-implemented)");
        }
        if (method.DeclaringType?.Assembly == typeof(LineResolver).Assembly)
        {
            return LineResolution.Failed(ResolutionFailure.MethodNotInstrumentable,
                $"{Describe(method)} is part of the DEEP agent, which never instruments itself");
        }

        var (after, afterError) = AfterLine(owner, chosen, documentPath);
        // More code of the line past its after-line offset (a for header's condition, an await's continuation).
        int? elsewhere = null;
        foreach (var sp in owner.Points)
        {
            if (sp.StartLine == chosen.StartLine && sp.Document == chosen.Document && after is { } end && sp.Offset >= end)
            {
                elsewhere = sp.Offset;
                break;
            }
        }
        return LineResolution.Resolved(new ResolvedLine(symbols, method, owner.Handle, documentPath, line, chosen.StartLine,
            chosen.Offset, after, afterError) { ElsewhereILOffset = elsewhere, AwaitILOffset = AwaitOnLine(symbols, owner, chosen) });
    }

    /// <summary>
    /// The IL offset where the next sequence point after the line begins, in IL order. Code that leaves the line by
    /// a jump (a <c>return</c>, <c>break</c>, a loop back-edge) does not pass through it: that is the limit of an
    /// "after the line" probe.
    /// </summary>
    private static (int? Offset, string? Error) AfterLine(MethodLines method, SequencePoint chosen, string documentPath)
    {
        foreach (var sp in method.AllPoints)
        {
            if (sp.Offset <= chosen.Offset)
            {
                continue;
            }
            if (sp.IsHidden || sp.StartLine != chosen.StartLine || sp.Document != chosen.Document)
            {
                return (sp.Offset, null);
            }
        }
        return (null, $"line {chosen.StartLine} of {documentPath} is the last code of its method (it returns or throws): " +
                      "there is no code after it to probe; use stage line_start instead");
    }

    // The PDB's async stepping information (AsyncMethodSteppingInformationBlob): the yield and resume offsets of each await.
    private static readonly Guid AsyncSteppingKind = new("54FD2AC5-E925-401A-9C2A-F94F171072F8");

    /// <summary>
    /// The IL offset where an <c>await</c> on the line yields (the line's code runs on, through hidden sequence points, up
    /// to the next visible one of another line), or null: there the async method resumes in the middle of the line.
    /// </summary>
    private static int? AwaitOnLine(AssemblySymbols symbols, MethodLines method, SequencePoint chosen)
    {
        if (symbols.Reader is not { } reader)
        {
            return null;
        }
        int end = int.MaxValue;
        foreach (var sp in method.AllPoints)
        {
            if (sp.Offset > chosen.Offset && !sp.IsHidden && (sp.StartLine != chosen.StartLine || sp.Document != chosen.Document))
            {
                end = sp.Offset;
                break;
            }
        }
        try
        {
            foreach (var handle in reader.GetCustomDebugInformation(method.Handle))
            {
                var info = reader.GetCustomDebugInformation(handle);
                if (reader.GetGuid(info.Kind) != AsyncSteppingKind)
                {
                    continue;
                }
                var blob = reader.GetBlobReader(info.Value);
                blob.ReadUInt32(); // catch handler offset
                while (blob.RemainingBytes > 0)
                {
                    int yield = (int)blob.ReadUInt32();
                    blob.ReadUInt32(); // resume offset
                    blob.ReadCompressedInteger(); // kickoff method
                    if (yield >= chosen.Offset && yield < end)
                    {
                        return yield;
                    }
                }
            }
        }
        catch (BadImageFormatException)
        {
            // unreadable stepping information: the profiler's own checks still apply
        }
        return null;
    }

    private static string NearestLines(IReadOnlyList<MethodLines> methods, int line)
    {
        var lines = methods.SelectMany(m => m.Points).Select(p => p.StartLine).ToList();
        int? before = lines.Where(l => l < line).Select(l => (int?)l).Max();
        int? after = lines.Where(l => l > line).Select(l => (int?)l).Min();
        if (before is null && after is null)
        {
            return " (the file has no code at all in this assembly)";
        }
        var parts = new[] { before, after }.Where(l => l is not null).Select(l => l!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return $"; the nearest lines with code are {string.Join(" and ", parts)}";
    }

    /// <summary>A method as a developer reads it: <c>Type.Method</c>.</summary>
    public static string Describe(MethodBase method) => $"{method.DeclaringType?.FullName}.{method.Name}";
}
