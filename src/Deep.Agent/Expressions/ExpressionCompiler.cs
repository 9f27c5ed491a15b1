using System.Linq.Expressions;
using Deep.Tracepoints.Expressions;

namespace Deep.Agent.Expressions;

/// <summary>
/// Compiles the safe C# expression subset of spec §8 (conditions, watches, log template parts, metric values) to
/// delegates, once per tracepoint; evaluating one costs about what the same C# costs.
/// </summary>
/// <remarks>
/// Expressions read fields (public or not) and auto-properties (through their backing fields); they call only an
/// allow-list of pure framework members (<see cref="PureMembers"/>). There is no assignment, <c>new</c>, lambda,
/// arbitrary call, reflection or user getter: each is a compile-time error with its position. A member missing on the
/// static type is looked up on the runtime type (fields only) when the static type could hide it (<c>object</c>,
/// an interface, a non-sealed class).
/// </remarks>
internal static class ExpressionCompiler
{
    /// <summary>The default time budget for one evaluation.</summary>
    public static readonly TimeSpan DefaultTimeBudget = TimeSpan.FromMilliseconds(10);

    /// <summary>Parses and compiles <paramref name="source"/> once; never throws (a bad expression carries <see cref="CompiledExpression{TContext}.Error"/>).</summary>
    public static CompiledExpression<TContext> Compile<TContext>(string source, IExpressionScope scope) =>
        Compile<TContext>(source, scope, DefaultTimeBudget);

    /// <summary>
    /// Parses and compiles <paramref name="source"/>; never throws. <paramref name="timeBudget"/> bounds one
    /// evaluation (see <see cref="CompiledExpression{TContext}.DisabledReason"/>).
    /// </summary>
    public static CompiledExpression<TContext> Compile<TContext>(string source, IExpressionScope scope, TimeSpan timeBudget)
    {
        source ??= "";
        ExpressionTree tree;
        try
        {
            tree = Parser.Parse(source);
        }
        catch (ExpressionSyntaxException e)
        {
            // Whatever the parser refuses is malformed text, whatever the program.
            return new CompiledExpression<TContext>(source, e.Describe(), ExpressionErrorKind.Syntax);
        }
        catch (Exception e)
        {
            return new CompiledExpression<TContext>(source, "could not compile '" + ExpressionLimits.Abbreviate(source) + "': " + e.Message, ExpressionErrorKind.Syntax);
        }
        return Compile<TContext>(tree, scope, timeBudget);
    }

    /// <summary>Binds and compiles an expression parsed earlier (a tracepoint's spec holds its trees); never throws.</summary>
    internal static CompiledExpression<TContext> Compile<TContext>(ExpressionTree tree, IExpressionScope scope) =>
        Compile<TContext>(tree, scope, DefaultTimeBudget);

    /// <summary>Binds and compiles an expression parsed earlier (a tracepoint's spec holds its trees); never throws.</summary>
    internal static CompiledExpression<TContext> Compile<TContext>(ExpressionTree tree, IExpressionScope scope, TimeSpan timeBudget)
    {
        var source = tree.Source;
        try
        {
            ArgumentNullException.ThrowIfNull(scope);
            var context = Expression.Parameter(typeof(TContext), "context");
            var binder = new SyntaxBinder(tree, scope, context);
            var operand = binder.Bind();
            var body = Binder.Value(operand);
            var boxed = body.Type == typeof(object) ? body : Expression.Convert(body, typeof(object));
            var evaluate = Expression.Lambda<Func<TContext, object?>>(boxed, context).Compile();
            var condition = body.Type == typeof(bool) ? Expression.Lambda<Func<TContext, bool>>(body, context).Compile() : null;
            return new CompiledExpression<TContext>(source, evaluate, condition, operand.IsNullLiteral ? typeof(object) : body.Type, binder.Binder.MayBeSlow, timeBudget);
        }
        catch (ExpressionSyntaxException e)
        {
            return new CompiledExpression<TContext>(source, e.Describe(), e.Kind);
        }
        catch (Exception e)
        {
            // A LINQ binding problem we did not foresee: still a clear, per-tracepoint error, never a crash.
            return new CompiledExpression<TContext>(source, "could not compile '" + ExpressionLimits.Abbreviate(source) + "': " + e.Message);
        }
    }
}
