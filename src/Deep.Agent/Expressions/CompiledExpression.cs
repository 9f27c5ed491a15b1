using Deep.Tracepoints.Expressions;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;

namespace Deep.Agent.Expressions;

/// <summary>An expression compiled once, evaluated per hit. Thread-safe.</summary>
/// <remarks>
/// <para><b>Time budget.</b> Expressions have no loops, so most (field reads, arithmetic, comparisons) run in
/// nanoseconds and are not timed at all. Those whose cost grows with their input (string methods, string
/// concatenation, collection searches, dynamic calls) are timed: each such call is bounded before it runs
/// (<see cref="CallCosts"/>) and checks the evaluation's deadline (<see cref="EvaluationDeadline"/>), so an evaluation
/// stops with an error once it has spent <see cref="TimeBudget"/> (the first one may take
/// <see cref="FirstEvaluationBudget"/>: it includes JIT compilation). Once two evaluations have gone over the budget,
/// the expression is disabled and every later evaluation returns <see cref="DisabledReason"/> as its error without
/// running.</para>
/// </remarks>
internal sealed class CompiledExpression<TContext>
{
    private readonly Func<TContext, object?>? _evaluate;
    private readonly Func<TContext, bool>? _condition;
    private readonly bool _timed;
    private readonly long _budgetTicks;
    private volatile bool _warm;
    private int _overruns;
    private volatile string? _disabled;

    internal CompiledExpression(string source, string error, ExpressionErrorKind errorKind = ExpressionErrorKind.Binding)
    {
        Source = source;
        Error = error;
        ErrorKind = errorKind;
    }

    internal CompiledExpression(string source, Func<TContext, object?> evaluate, Func<TContext, bool>? condition, Type resultType, bool timed, TimeSpan budget)
    {
        Source = source;
        _evaluate = evaluate;
        _condition = condition;
        ResultType = resultType;
        _timed = timed;
        TimeBudget = budget;
        _budgetTicks = (long)(budget.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>The expression's text.</summary>
    public string Source { get; }

    /// <summary>The compile-time error (with its 1-based position), or null when the expression compiled.</summary>
    public string? Error { get; }

    /// <summary>What kind of problem <see cref="Error"/> is (meaningless when there is none).</summary>
    internal ExpressionErrorKind ErrorKind { get; }

    /// <summary>The static type of the result; null when it did not compile.</summary>
    public Type? ResultType { get; }

    /// <summary>How long one evaluation may take.</summary>
    public TimeSpan TimeBudget { get; }

    /// <summary>True when evaluations of this expression are timed against <see cref="TimeBudget"/>.</summary>
    public bool IsTimed => _timed;

    /// <summary>The least time the first evaluation may take before it is stopped (it compiles the code it runs).</summary>
    public static readonly TimeSpan FirstEvaluationBudget = TimeSpan.FromMilliseconds(100);

    /// <summary>Why the expression was disabled (it exceeded its time budget), or null.</summary>
    public string? DisabledReason => _disabled;

    /// <summary>Evaluates against one hit's context; never throws.</summary>
    public ExpressionResult Evaluate(TContext context)
    {
        if (Error != null)
        {
            return new ExpressionResult(null, null, Error);
        }
        var disabled = _disabled;
        if (disabled != null)
        {
            return new ExpressionResult(null, ResultType, disabled);
        }
        if (_timed)
        {
            return EvaluateTimed(context);
        }
        try
        {
            return new ExpressionResult(_evaluate!(context), ResultType, null);
        }
        catch (Exception e)
        {
            return new ExpressionResult(null, ResultType, Describe(e));
        }
    }

    private ExpressionResult EvaluateTimed(TContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var previous = BeginBudget(start);
        try
        {
            var value = _evaluate!(context);
            CheckBudget(start);
            return new ExpressionResult(value, ResultType, null);
        }
        catch (Exception e)
        {
            CheckBudget(start);
            return new ExpressionResult(null, ResultType, Describe(e));
        }
        finally
        {
            EvaluationDeadline.End(previous);
        }
    }

    private (long, long) BeginBudget(long start) =>
        EvaluationDeadline.Begin(start, _warm ? _budgetTicks : Math.Max(_budgetTicks, (long)(FirstEvaluationBudget.TotalSeconds * Stopwatch.Frequency)));

    /// <summary>True only when the expression evaluates to the boolean <c>true</c>; never throws.</summary>
    /// <param name="context">The hit's context.</param>
    /// <param name="error">Why the condition could not be decided (compile error, runtime error, not a boolean), or null.</param>
    public bool EvaluateCondition(TContext context, out string? error)
    {
        if (Error != null)
        {
            error = Error;
            return false;
        }
        if (_condition != null)
        {
            var disabled = _disabled;
            if (disabled != null)
            {
                error = disabled;
                return false;
            }
            if (!_timed)
            {
                try
                {
                    var fired = _condition(context);
                    error = null;
                    return fired;
                }
                catch (Exception e)
                {
                    error = Describe(e);
                    return false;
                }
            }
            var start = Stopwatch.GetTimestamp();
            var previous = BeginBudget(start);
            try
            {
                var fired = _condition(context);
                CheckBudget(start);
                error = null;
                return fired;
            }
            catch (Exception e)
            {
                CheckBudget(start);
                error = Describe(e);
                return false;
            }
            finally
            {
                EvaluationDeadline.End(previous);
            }
        }
        var result = Evaluate(context);
        if (result.IsError)
        {
            error = result.Error;
            return false;
        }
        switch (result.Value)
        {
            case bool b:
                error = null;
                return b;
            case null when ResultType == typeof(bool?) || ResultType == typeof(object):
                error = "the condition '" + ExpressionLimits.Abbreviate(Source) + "' is null, not true or false";
                return false;
            default:
                error = "the condition '" + ExpressionLimits.Abbreviate(Source) + "' is a " + Capture.CSharpTypeNames.Of(result.Value?.GetType() ?? ResultType!) + ", not a bool";
                return false;
        }
    }

    private void CheckBudget(long start)
    {
        if (!_warm) _warm = true;
        var elapsed = Stopwatch.GetTimestamp() - start;
        if (elapsed <= _budgetTicks)
        {
            return;
        }
        if (Interlocked.Increment(ref _overruns) >= 2)
        {
            _disabled ??= "disabled: evaluating '" + ExpressionLimits.Abbreviate(Source) + "' took "
                           + (elapsed * 1000.0 / Stopwatch.Frequency).ToString("0.###", CultureInfo.InvariantCulture)
                           + " ms, over its budget of "
                           + TimeBudget.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + " ms";
        }
    }

    internal static string Describe(Exception e) => e switch
    {
        ExpressionRuntimeException => e.Message,
        NullReferenceException => "null reference: " + e.Message,
        DivideByZeroException => "division by zero",
        IndexOutOfRangeException or ArgumentOutOfRangeException => "index out of range: " + e.Message,
        InvalidCastException => "invalid cast: " + e.Message,
        KeyNotFoundException => e.Message,
        OverflowException => "overflow: " + e.Message,
        InvalidOperationException => e.Message,
        _ => e.GetType().Name + ": " + e.Message,
    };
}
