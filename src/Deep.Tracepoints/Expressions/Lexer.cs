using System.Globalization;
using System.Numerics;
using System.Text;

namespace Deep.Tracepoints.Expressions;

internal enum TokenKind
{
    End,
    Identifier,
    Number,
    String,
    Char,
    Operator,
}

/// <summary>One token; <see cref="Value"/> holds a literal's value (typed as C# types it).</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Position, object? Value = null)
{
    public bool Is(string op) => Kind == TokenKind.Operator && Text == op;

    public bool IsWord(string word) => Kind == TokenKind.Identifier && Text == word;
}

/// <summary>Turns expression text into tokens: C# literals (with escapes and suffixes), names and operators.</summary>
internal static class Lexer
{
    // Longest first, so "??" wins over "?" and "<=" over "<".
    private static readonly string[] Operators =
    [
        "<<=", ">>=", "??=", "&&", "||", "??", "?.", "?[", "==", "!=", "<=", ">=", "<<", ">>", "=>", "++", "--", "+=", "-=",
        "*=", "/=", "%=", "&=", "|=", "^=", "->", "::",
        "+", "-", "*", "/", "%", "<", ">", "!", "~", "&", "|", "^", "?", ":", ".", ",", "(", ")", "[", "]", "=", "{", "}", ";",
    ];

    public static List<Token> Tokenize(string source)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < source.Length && char.IsWhiteSpace(source[i])) i++;
            if (i >= source.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", source.Length));
                return tokens;
            }
            var c = source[i];
            var start = i;
            if (c == '@' && i + 1 < source.Length && source[i + 1] == '"')
            {
                tokens.Add(ReadVerbatimString(source, ref i));
            }
            else if (c == '"')
            {
                tokens.Add(ReadString(source, ref i));
            }
            else if (c == '\'')
            {
                tokens.Add(ReadChar(source, ref i));
            }
            else if (char.IsDigit(c) || (c == '.' && i + 1 < source.Length && char.IsDigit(source[i + 1])))
            {
                tokens.Add(ReadNumber(source, ref i));
            }
            else if (char.IsLetter(c) || c == '_' || (c == '@' && i + 1 < source.Length && (char.IsLetter(source[i + 1]) || source[i + 1] == '_')))
            {
                if (c == '@') i++;
                var nameStart = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Identifier, source[nameStart..i], start));
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(source, i, o, 0, o.Length) == 0);
                if (op == null)
                {
                    throw ExpressionSyntaxException.Syntax("unexpected character '" + c + "'", i);
                }
                // "a?.5:1" is a conditional with .5, not a null-conditional access.
                if (op == "?." && i + 2 < source.Length && char.IsDigit(source[i + 2]))
                {
                    op = "?";
                }
                i += op.Length;
                tokens.Add(new Token(TokenKind.Operator, op, start));
            }
        }
    }

    private static Token ReadString(string s, ref int i)
    {
        var start = i++;
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= s.Length || s[i] == '\n')
            {
                throw ExpressionSyntaxException.Syntax("unterminated string literal", start);
            }
            var c = s[i];
            if (c == '"')
            {
                i++;
                return new Token(TokenKind.String, s[start..i], start, sb.ToString());
            }
            if (c == '\\')
            {
                sb.Append(ReadEscape(s, ref i));
                continue;
            }
            sb.Append(c);
            i++;
        }
    }

    private static Token ReadVerbatimString(string s, ref int i)
    {
        var start = i;
        i += 2;
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= s.Length)
            {
                throw ExpressionSyntaxException.Syntax("unterminated string literal", start);
            }
            if (s[i] == '"')
            {
                if (i + 1 < s.Length && s[i + 1] == '"')
                {
                    sb.Append('"');
                    i += 2;
                    continue;
                }
                i++;
                return new Token(TokenKind.String, s[start..i], start, sb.ToString());
            }
            sb.Append(s[i++]);
        }
    }

    private static Token ReadChar(string s, ref int i)
    {
        var start = i++;
        if (i >= s.Length)
        {
            throw ExpressionSyntaxException.Syntax("unterminated character literal", start);
        }
        string text;
        if (s[i] == '\\')
        {
            text = ReadEscape(s, ref i);
        }
        else
        {
            text = s[i].ToString();
            i++;
        }
        if (i >= s.Length || s[i] != '\'' || text.Length != 1)
        {
            throw ExpressionSyntaxException.Syntax("a character literal holds exactly one character", start);
        }
        i++;
        return new Token(TokenKind.Char, s[start..i], start, text[0]);
    }

    private static string ReadEscape(string s, ref int i)
    {
        var start = i;
        i++; // the backslash
        if (i >= s.Length)
        {
            throw ExpressionSyntaxException.Syntax("unterminated escape sequence", start);
        }
        var c = s[i++];
        switch (c)
        {
            case '\'': return "'";
            case '"': return "\"";
            case '\\': return "\\";
            case '0': return "\0";
            case 'a': return "\a";
            case 'b': return "\b";
            case 'e': return "\u001b";
            case 'f': return "\f";
            case 'n': return "\n";
            case 'r': return "\r";
            case 't': return "\t";
            case 'v': return "\v";
            case 'u':
                return ((char)ReadHex(s, ref i, 4, 4, start)).ToString();
            case 'U':
                return char.ConvertFromUtf32(ReadHex(s, ref i, 8, 8, start));
            case 'x':
                return ((char)ReadHex(s, ref i, 1, 4, start)).ToString();
            default:
                throw ExpressionSyntaxException.Syntax("unknown escape sequence '\\" + c + "'", start);
        }
    }

    private static int ReadHex(string s, ref int i, int min, int max, int start)
    {
        var digits = 0;
        var value = 0;
        while (digits < max && i < s.Length && Uri.IsHexDigit(s[i]))
        {
            value = value * 16 + Convert.ToInt32(s[i].ToString(), 16);
            i++;
            digits++;
        }
        if (digits < min)
        {
            throw ExpressionSyntaxException.Syntax("invalid hexadecimal escape sequence", start);
        }
        return value;
    }

    private static Token ReadNumber(string s, ref int i)
    {
        var start = i;
        if (s[i] == '0' && i + 1 < s.Length && (s[i + 1] is 'x' or 'X' or 'b' or 'B'))
        {
            var isHex = s[i + 1] is 'x' or 'X';
            i += 2;
            var digitsStart = i;
            while (i < s.Length && (s[i] == '_' || (isHex ? Uri.IsHexDigit(s[i]) : s[i] is '0' or '1'))) i++;
            var digits = s[digitsStart..i].Replace("_", "", StringComparison.Ordinal);
            if (digits.Length == 0)
            {
                throw ExpressionSyntaxException.Syntax("invalid number literal", start);
            }
            BigInteger big = 0;
            foreach (var d in digits)
            {
                big = big * (isHex ? 16 : 2) + Convert.ToInt32(d.ToString(), 16);
            }
            var suffix = ReadSuffix(s, ref i);
            return new Token(TokenKind.Number, s[start..i], start, IntegerValue(big, suffix, start));
        }

        while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '_')) i++;
        var isReal = false;
        if (i + 1 < s.Length && s[i] == '.' && char.IsDigit(s[i + 1]))
        {
            isReal = true;
            i++;
            while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '_')) i++;
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            var save = i;
            i++;
            if (i < s.Length && s[i] is '+' or '-') i++;
            if (i < s.Length && char.IsDigit(s[i]))
            {
                isReal = true;
                while (i < s.Length && char.IsDigit(s[i])) i++;
            }
            else
            {
                i = save;
            }
        }
        var body = s[start..i].Replace("_", "", StringComparison.Ordinal);
        var suffixText = ReadSuffix(s, ref i);
        if (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_'))
        {
            throw ExpressionSyntaxException.Syntax("invalid number literal '" + s[start..(i + 1)] + "'", start);
        }
        var text = s[start..i];
        switch (suffixText)
        {
            case "f":
                return new Token(TokenKind.Number, text, start, float.Parse(body, CultureInfo.InvariantCulture));
            case "d":
                return new Token(TokenKind.Number, text, start, double.Parse(body, CultureInfo.InvariantCulture));
            case "m":
                if (!decimal.TryParse(body, NumberStyles.Float, CultureInfo.InvariantCulture, out var m))
                {
                    throw ExpressionSyntaxException.Syntax("decimal literal out of range", start);
                }
                return new Token(TokenKind.Number, text, start, m);
        }
        if (isReal)
        {
            if (suffixText.Length > 0)
            {
                throw ExpressionSyntaxException.Syntax("invalid suffix '" + suffixText + "' on a real literal", start);
            }
            return new Token(TokenKind.Number, text, start, double.Parse(body, CultureInfo.InvariantCulture));
        }
        return new Token(TokenKind.Number, text, start, IntegerValue(BigInteger.Parse(body, CultureInfo.InvariantCulture), suffixText, start));
    }

    private static string ReadSuffix(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && s[i] is 'u' or 'U' or 'l' or 'L' or 'f' or 'F' or 'd' or 'D' or 'm' or 'M') i++;
        return s[start..i].ToLowerInvariant();
    }

    // C#: an unsuffixed integer literal is the first of int, uint, long, ulong that holds it; u: uint, ulong;
    // l: long, ulong; ul/lu: ulong.
    private static object IntegerValue(BigInteger value, string suffix, int position)
    {
        switch (suffix)
        {
            case "":
                if (value <= int.MaxValue) return (int)value;
                if (value <= uint.MaxValue) return (uint)value;
                if (value <= long.MaxValue) return (long)value;
                if (value <= ulong.MaxValue) return (ulong)value;
                break;
            case "u":
                if (value <= uint.MaxValue) return (uint)value;
                if (value <= ulong.MaxValue) return (ulong)value;
                break;
            case "l":
                if (value <= long.MaxValue) return (long)value;
                if (value <= ulong.MaxValue) return (ulong)value;
                break;
            case "ul":
            case "lu":
                if (value <= ulong.MaxValue) return (ulong)value;
                break;
            case "f":
                return (float)value;
            case "d":
                return (double)value;
            case "m":
                return (decimal)value;
            default:
                throw ExpressionSyntaxException.Syntax("invalid number suffix '" + suffix + "'", position);
        }
        throw ExpressionSyntaxException.Syntax("integer literal is too large", position);
    }
}
