using System.Reflection;
using System.Text;
using Deep.Agent.Capture;

namespace Deep.Agent.ExceptionReplay;

/// <summary>One application frame of an exception's stack: the method and where in it (IL offset).</summary>
internal readonly record struct AppFrame(MethodBase Method, int ILOffset);

/// <summary>
/// What identifies "the same failure": the exception's type and the application frames it passed through, by method
/// and IL offset. Names, not metadata tokens, so the fingerprint is the same in every process of the same build.
/// </summary>
internal static class Fingerprint
{
    /// <summary>At most this many application frames make a fingerprint (a deep recursion is cut, innermost kept).</summary>
    public const int MaxFrames = 32;

    /// <summary>16 hex digits (FNV-1a 64 of the readable form).</summary>
    public static string Of(Type exceptionType, IReadOnlyList<AppFrame> frames) => Hash(Describe(exceptionType, frames));

    /// <summary>The readable form the hash is taken of: <c>Type|Class.Method@IL;...</c>, innermost first.</summary>
    public static string Describe(Type exceptionType, IReadOnlyList<AppFrame> frames)
    {
        var text = new StringBuilder(exceptionType.FullName ?? exceptionType.Name).Append('|');
        for (var i = 0; i < frames.Count && i < MaxFrames; i++)
        {
            var method = frames[i].Method;
            if (i > 0) text.Append(';');
            text.Append(method.DeclaringType?.FullName).Append('.').Append(method.Name).Append('@').Append(frames[i].ILOffset);
        }
        return text.ToString();
    }

    internal static string Hash(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211;
        }
        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The source-level name of a frame's method: <c>Class.Method</c> (a state machine's MoveNext as its method).</summary>
    public static string Where(MethodBase method)
    {
        var (name, declaring, _) = FrameCollector.Describe(method);
        return declaring is null ? name : CSharpTypeNames.FullNameOf(declaring) + "." + name;
    }
}
