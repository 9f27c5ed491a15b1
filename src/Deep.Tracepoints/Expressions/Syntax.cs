namespace Deep.Tracepoints.Expressions;

/// <summary>
/// One node of an expression's syntax tree: what was written, with no meaning attached (names are not resolved, types
/// not looked up). Immutable. <see cref="Start"/>..<see cref="End"/> is the node's text in the source;
/// <see cref="Position"/> is where an error about the node points (an operator, a member name, a bracket).
/// </summary>
internal abstract record SyntaxNode(int Start, int End, int Position)
{
    /// <summary>The node's text in <paramref name="source"/> (the text the tree was parsed from).</summary>
    public string TextIn(string source) => source[Start..Math.Max(Start, End)].Trim();
}

/// <summary>A number, string, character, <c>true</c>, <c>false</c> or <c>null</c>; <see cref="Value"/> is typed as C# types it.</summary>
internal sealed record LiteralSyntax(object? Value, int Start, int End) : SyntaxNode(Start, End, Start)
{
    /// <summary>The literal <c>null</c>.</summary>
    public bool IsNull => Value is null;
}

/// <summary>A simple name: a local, an argument, <c>this</c>, a field of <c>this</c>, a type, or the first part of a namespace.</summary>
internal sealed record NameSyntax(string Name, int Start, int End) : SyntaxNode(Start, End, Start);

/// <summary><c>(inner)</c>.</summary>
internal sealed record ParenthesizedSyntax(SyntaxNode Inner, int Start, int End) : SyntaxNode(Start, End, Start);

/// <summary><c>-x</c>, <c>+x</c>, <c>!x</c>, <c>~x</c>.</summary>
internal sealed record UnarySyntax(string Operator, SyntaxNode Operand, int Start, int End) : SyntaxNode(Start, End, Start);

/// <summary>
/// <c>(Type)operand</c>. <see cref="TypeName"/> is dotted (<c>Shop.OrderStatus</c>); <see cref="IsKeywordType"/> for
/// <c>int</c>, <c>string</c>...; otherwise it may also be a parenthesized variable followed by a value, which only the
/// binder can tell (and refuses).
/// </summary>
internal sealed record CastSyntax(string TypeName, int TypePosition, bool IsKeywordType, bool Nullable, int ArrayRanks, SyntaxNode Operand, int Start, int End)
    : SyntaxNode(Start, End, Start);

/// <summary><c>left op right</c>, including <c>&amp;&amp;</c>, <c>||</c> and <c>??</c>; <see cref="SyntaxNode.Position"/> is the operator's.</summary>
internal sealed record BinarySyntax(string Operator, SyntaxNode Left, SyntaxNode Right, int Start, int End, int Position) : SyntaxNode(Start, End, Position);

/// <summary><c>operand is null</c> or <c>operand is not null</c>; <see cref="SyntaxNode.Position"/> is the <c>is</c>'s.</summary>
internal sealed record IsNullSyntax(SyntaxNode Operand, bool Negated, int Start, int End, int Position) : SyntaxNode(Start, End, Position);

/// <summary><c>condition ? whenTrue : whenFalse</c>; <see cref="SyntaxNode.Position"/> is the <c>?</c>'s.</summary>
internal sealed record ConditionalSyntax(SyntaxNode Condition, SyntaxNode WhenTrue, SyntaxNode WhenFalse, int Start, int End, int Position)
    : SyntaxNode(Start, End, Position);

/// <summary><c>receiver.Name</c>; <see cref="SyntaxNode.Position"/> is the name's.</summary>
internal sealed record MemberAccessSyntax(SyntaxNode Receiver, string Name, int Start, int End, int Position) : SyntaxNode(Start, End, Position);

/// <summary><c>receiver.Name(arguments)</c>; <see cref="SyntaxNode.Position"/> is the name's.</summary>
internal sealed record CallSyntax(SyntaxNode Receiver, string Name, IReadOnlyList<SyntaxNode> Arguments, int Start, int End, int Position)
    : SyntaxNode(Start, End, Position);

/// <summary><c>receiver[arguments]</c>; <see cref="SyntaxNode.Position"/> is the bracket's.</summary>
internal sealed record IndexSyntax(SyntaxNode Receiver, IReadOnlyList<SyntaxNode> Arguments, int Start, int End, int Position)
    : SyntaxNode(Start, End, Position);

/// <summary>
/// <c>receiver?.rest</c> or <c>receiver?[...]rest</c>: when the receiver is null the whole is null, otherwise
/// <see cref="WhenNotNull"/> runs on its value, which appears there as <see cref="ConditionalReceiverSyntax"/>.
/// <see cref="SyntaxNode.Position"/> is the operator's.
/// </summary>
internal sealed record ConditionalAccessSyntax(SyntaxNode Receiver, string Operator, SyntaxNode WhenNotNull, int Start, int End, int Position)
    : SyntaxNode(Start, End, Position);

/// <summary>Inside <see cref="ConditionalAccessSyntax.WhenNotNull"/>: the receiver's value, known not to be null.</summary>
internal sealed record ConditionalReceiverSyntax(int Start, int End, int Position) : SyntaxNode(Start, End, Position);

/// <summary>A parsed expression: its source text and its tree.</summary>
internal sealed record ExpressionTree(string Source, SyntaxNode Root)
{
    /// <summary>A node's text in this expression's source.</summary>
    public string TextOf(SyntaxNode node) => node.TextIn(Source);
}
