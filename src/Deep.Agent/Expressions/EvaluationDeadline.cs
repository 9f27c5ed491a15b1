using System.Diagnostics;
using System.Globalization;

namespace Deep.Agent.Expressions;

/// <summary>
/// The time budget of the evaluation running on this thread, checked while it runs: before each call whose cost grows
/// with its input (<see cref="CallCosts"/>) and each dynamic operation (<see cref="RuntimeOps"/>), so a long
/// evaluation stops at its budget instead of being measured after it. Field reads, arithmetic and comparisons never
/// look at the clock.
/// </summary>
internal static class EvaluationDeadline
{
    // Stopwatch timestamp after which the evaluation stops; 0 when no timed evaluation runs on this thread.
    [ThreadStatic] private static long t_deadline;
    [ThreadStatic] private static long t_budgetTicks;

    /// <summary>Starts the budget of a timed evaluation; returns what to pass to <see cref="End"/>.</summary>
    public static (long Deadline, long Budget) Begin(long start, long budgetTicks)
    {
        var previous = (t_deadline, t_budgetTicks);
        t_deadline = start + budgetTicks;
        t_budgetTicks = budgetTicks;
        return previous;
    }

    /// <summary>Ends a timed evaluation (restores the enclosing one's budget, normally none).</summary>
    public static void End((long Deadline, long Budget) previous) => (t_deadline, t_budgetTicks) = previous;

    /// <summary>Throws an evaluation error when the running evaluation has spent its budget.</summary>
    public static void Check(string text)
    {
        var deadline = t_deadline;
        if (deadline != 0 && Stopwatch.GetTimestamp() > deadline)
        {
            throw new ExpressionRuntimeException("stopped at '" + ExpressionLimits.Abbreviate(text) + "': the evaluation took over its budget of "
                                                 + (t_budgetTicks * 1000.0 / Stopwatch.Frequency).ToString("0.###", CultureInfo.InvariantCulture) + " ms");
        }
    }
}
