namespace Deep.Agent.Tests.Expressions;

public class LiteralTests
{
    private readonly TestScope _scope = new();

    [Theory]
    [InlineData("42", 42)]
    [InlineData("0x2A", 42)]
    [InlineData("0b101010", 42)]
    [InlineData("1_000", 1000)]
    public void Integer_literals_are_int_like_in_CSharp(string source, int expected) => Assert.Equal(expected, _scope.Value(source));

    [Fact]
    public void Integer_suffixes_choose_the_type_as_in_CSharp()
    {
        Assert.Equal(5u, _scope.Value("5u"));
        Assert.Equal(5L, _scope.Value("5L"));
        Assert.Equal(5UL, _scope.Value("5UL"));
        Assert.Equal(5UL, _scope.Value("5lu"));
        Assert.Equal(3000000000u, _scope.Value("3000000000"));
        Assert.Equal(5000000000L, _scope.Value("5000000000"));
    }

    [Fact]
    public void Real_literals_and_suffixes_read_as_CSharp()
    {
        Assert.Equal(1.5, _scope.Value("1.5"));
        Assert.Equal(1.5f, _scope.Value("1.5f"));
        Assert.Equal(1.5m, _scope.Value("1.5m"));
        Assert.Equal(2d, _scope.Value("2d"));
        Assert.Equal(1e3, _scope.Value("1e3"));
        Assert.Equal(0.25, _scope.Value(".25"));
        Assert.Equal(12345678901234567890.123456789m, _scope.Value("12345678901234567890.123456789m"));
    }

    [Fact]
    public void Strings_support_every_CSharp_escape()
    {
        Assert.Equal("a\"b\\c\n\t\0\u00e9\x41", _scope.Value("\"a\\\"b\\\\c\\n\\t\\0\\u00e9\\x41\""));
        Assert.Equal("C:\\dir \"q\"", _scope.Value("@\"C:\\dir \"\"q\"\"\""));
    }

    [Fact]
    public void Chars_are_chars()
    {
        Assert.Equal('x', _scope.Value("'x'"));
        Assert.Equal('\'', _scope.Value("'\\''"));
        Assert.Equal('\n', _scope.Value("'\\n'"));
    }

    [Fact]
    public void Null_true_and_false_are_keywords()
    {
        Assert.Null(_scope.Value("null"));
        Assert.Equal(true, _scope.Value("true"));
        Assert.Equal(false, _scope.Value("false"));
    }

    [Fact]
    public void Minimum_integers_can_be_written_as_in_CSharp()
    {
        Assert.Equal(int.MinValue, _scope.Value("-2147483648"));
        Assert.Equal(long.MinValue, _scope.Value("-9223372036854775808"));
    }

    [Theory]
    [InlineData("\"abc", "unterminated string literal")]
    [InlineData("'ab'", "exactly one character")]
    [InlineData("\"\\q\"", "unknown escape sequence")]
    [InlineData("12abc", "invalid number literal")]
    [InlineData("99999999999999999999", "too large")]
    [InlineData("1.5u", "invalid suffix")]
    [InlineData("#", "unexpected character '#'")]
    public void Malformed_literals_are_clear_compile_errors(string source, string message) =>
        Assert.Contains(message, _scope.CompileError(source));

    [Fact]
    public void A_compile_error_says_where_it_is()
    {
        var error = _scope.CompileError("1 + #");
        Assert.Contains("at position 5", error);
    }
}
