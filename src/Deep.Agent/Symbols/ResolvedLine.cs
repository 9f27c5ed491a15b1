using System.Reflection;
using System.Reflection.Metadata;

namespace Deep.Agent.Symbols;

/// <summary>A tracepoint's file and line resolved to a method and IL offsets.</summary>
/// <param name="Symbols">The assembly's symbols.</param>
/// <param name="Method">The method that owns the line's code (for lambdas, iterators and async methods: the
/// compiler-generated method that holds the sequence point).</param>
/// <param name="MethodHandle">That method's definition in the assembly (and the PDB).</param>
/// <param name="DocumentPath">The source document's path as recorded in the PDB.</param>
/// <param name="RequestedLine">The line the tracepoint asked for.</param>
/// <param name="LineUsed">The line probed: the requested one, or the next line with code in the same method.</param>
/// <param name="ILOffset">Where the line's code begins (the <c>line_start</c> insertion point).</param>
/// <param name="AfterLineILOffset">Where the next sequence point after the line begins (<c>line_end</c> and
/// <c>line_capture</c>), or null when nothing follows the line in the method (see <paramref name="AfterLineError"/>).</param>
/// <param name="AfterLineError">Why there is no after-the-line offset.</param>
internal sealed record ResolvedLine(
    AssemblySymbols Symbols,
    MethodBase Method,
    MethodDefinitionHandle MethodHandle,
    string DocumentPath,
    int RequestedLine,
    int LineUsed,
    int ILOffset,
    int? AfterLineILOffset,
    string? AfterLineError)
{
    /// <summary>
    /// Where more code of the line begins after <see cref="AfterLineILOffset"/> (the line's code is in several pieces: a
    /// <c>for</c> header's condition and increment, the code after an <c>await</c>), or null. <c>line_capture</c> refuses such a line.
    /// </summary>
    public int? ElsewhereILOffset { get; init; }

    /// <summary>Where an <c>await</c> on the line yields (from the PDB's async stepping information), or null.</summary>
    public int? AwaitILOffset { get; init; }
}
