using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;

namespace Deep.Agent.Expressions;

/// <summary>An expression compiled once, evaluated per hit. Thread-safe.</summary>
/// <remarks>
/// <para><b>Time budget.</b> Expressions have no loops, so most (field reads, arithmetic, comparisons) run in
/// nanoseconds and are not timed at all. Those whose cost grows with their input (string methods, string
/// concatenation, collection searches, dynamic calls) are timed; an evaluation cannot be interrupted, so the budget is
/// enforced afterwards: once two evaluations (the first includes JIT compilation) have taken longer than
/// <see cref="TimeBudget"/>, the expression is disabled and every later evaluation returns
/// <see cref="DisabledReason"/> as its error without running.</para>
/// </remarks>
public sealed class CompiledExpression<TContext>
{
    private readonly Func<TContext, object?>? _evaluate;
    private readonly Func<TContext, bool>? _condition;
    private readonly bool _timed;
    private readonly long _budgetTicks;
    private int _overruns;
    private volatile string? _disabled;

    internal CompiledExpression(string source, string error)
    {
        Source = source;
        Error = error;
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

    /// <summary>The static type of the result; null when it did not compile.</summary>
    public Type? ResultType { get; }

    /// <summary>How long one evaluation may take.</summary>
    public TimeSpan TimeBudget { get; }

    /// <summary>True when evaluations of this expression are timed against <see cref="TimeBudget"/>.</summary>
    public bool IsTimed => _timed;

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
        var start = _timed ? Stopwatch.GetTimestamp() : 0;
        try
        {
            var value = _evaluate!(context);
            if (_timed) CheckBudget(start);
            return new ExpressionResult(value, ResultType, null);
        }
        catch (Exception e)
        {
            if (_timed) CheckBudget(start);
            return new ExpressionResult(null, ResultType, Describe(e));
        }
    }

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
            var start = _timed ? Stopwatch.GetTimestamp() : 0;
            try
            {
                var fired = _condition(context);
                if (_timed) CheckBudget(start);
                error = null;
                return fired;
            }
            catch (Exception e)
            {
                if (_timed) CheckBudget(start);
                error = Describe(e);
                return false;
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
                error = "the condition '" + Source + "' is null, not true or false";
                return false;
            default:
                error = "the condition '" + Source + "' is a " + Capture.CSharpTypeNames.Of(result.Value?.GetType() ?? ResultType!) + ", not a bool";
                return false;
        }
    }

    private void CheckBudget(long start)
    {
        var elapsed = Stopwatch.GetTimestamp() - start;
        if (elapsed <= _budgetTicks)
        {
            return;
        }
        if (Interlocked.Increment(ref _overruns) >= 2)
        {
            _disabled ??= "disabled: evaluating '" + Source + "' took "
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
