using System.Text;

namespace Deep.Agent.Capture;

/// <summary>
/// Decides which names are captured as <c>[redacted]</c>. A name is split into words (camelCase, PascalCase,
/// <c>_</c>, <c>-</c>, <c>.</c>, spaces, digits), and it is redacted when a run of consecutive words spells a
/// pattern, optionally plural: <c>userPassword</c>, <c>api_key</c>, <c>X-Api-Key</c>, <c>Cookies</c> and
/// <c>privateKeyPem</c> match; <c>className</c> does not match <c>ssn</c> and <c>tokenizer</c> does not match
/// <c>token</c>. Patterns are compared without case, <c>_</c> or <c>-</c> (<c>api_key</c> equals <c>apikey</c>).
/// </summary>
internal sealed class Redactor
{
    /// <summary>The text that replaces a redacted value.</summary>
    public const string RedactedText = "[redacted]";

    /// <summary>The default patterns.</summary>
    public static IReadOnlyList<string> DefaultPatterns { get; } =
    [
        "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "api_key", "accesskey", "authorization",
        "auth_token", "bearer", "cookie", "credential", "ssn", "private_key", "privatekey", "connectionstring",
        "creditcard", "cardnumber", "cvv", "pin", "jwt", "sessionid", "signature", "salt",
    ];

    private readonly HashSet<string> _patterns;
    private readonly int _maxWords;

    /// <summary>Creates a redactor matching any of <paramref name="patterns"/>.</summary>
    public Redactor(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        _patterns = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in patterns)
        {
            var normal = Normalize(p);
            if (normal.Length > 0)
            {
                _patterns.Add(normal);
            }
        }
        // A pattern can span at most as many words as it has characters; 4 covers every realistic one.
        _maxWords = 4;
    }

    /// <summary>The default list (password, secret, token, apikey, authorization, cookie, credential, ssn, private_key, ...).</summary>
    public static Redactor Default { get; } = new(DefaultPatterns);

    // Names repeat (field names, locals): remember answers, up to a bound so dictionary keys cannot grow it forever.
    private const int MaxCachedNames = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _cache = new(StringComparer.Ordinal);

    /// <summary>True when a value of this name must not be captured.</summary>
    public bool IsRedacted(string name)
    {
        if (string.IsNullOrEmpty(name) || _patterns.Count == 0 || (name[0] == '[' && name.Length > 1 && char.IsDigit(name[1])))
        {
            return false; // "[0]": an index, not a name
        }
        if (_cache.TryGetValue(name, out var known))
        {
            return known;
        }
        var redacted = Decide(name);
        if (_cache.Count < MaxCachedNames)
        {
            _cache.TryAdd(name, redacted);
        }
        return redacted;
    }

    /// <summary>
    /// True when any identifier in <paramref name="expression"/> (a variable or member name) is on the redaction list:
    /// whatever such an expression evaluates to may be the secret itself or derived from it (its length, a prefix).
    /// String and character literals are skipped (a literal "password" names nothing).
    /// </summary>
    public bool IsNamedIn(string expression)
    {
        var source = expression ?? "";
        var i = 0;
        while (i < source.Length)
        {
            if (char.IsLetter(source[i]) || source[i] == '_')
            {
                var start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_')) i++;
                if (IsRedacted(source[start..i])) return true;
            }
            else if (source[i] is '"' or '\'')
            {
                var quote = source[i++];
                while (i < source.Length && source[i] != quote) i += source[i] == '\\' ? 2 : 1;
                i++;
            }
            else
            {
                i++;
            }
        }
        return false;
    }

    private bool Decide(string name)
    {
        var words = SplitWords(name);
        for (var start = 0; start < words.Count; start++)
        {
            var joined = "";
            for (var end = start; end < words.Count && end - start < _maxWords; end++)
            {
                joined += words[end];
                if (_patterns.Contains(joined)
                    || (joined.Length > 1 && joined[^1] == 's' && _patterns.Contains(joined[..^1])))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static string Normalize(string pattern)
    {
        var sb = new StringBuilder(pattern.Length);
        foreach (var c in pattern)
        {
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    private static List<string> SplitWords(string name)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (!char.IsLetter(c))
            {
                Flush();
                continue;
            }
            if (char.IsUpper(c) && current.Length > 0)
            {
                var prevLower = char.IsLower(name[i - 1]);
                var nextLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                // "userPassword" splits before P; "APIKey" splits before K (an upper followed by a lower).
                if (prevLower || nextLower)
                {
                    Flush();
                }
            }
            current.Append(char.ToLowerInvariant(c));
        }
        Flush();
        return words;

        void Flush()
        {
            if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }
    }
}
