using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.Probes;

/// <summary>
/// The exit probe of a method that returns <see cref="Task"/>, <see cref="Task{TResult}"/>, <see cref="ValueTask"/> or
/// <see cref="ValueTask{TResult}"/>: where its outcome slots are and what <c>return</c> is once the task is awaited
/// (docs/method-tracepoints.md, "async methods"). Computed once per layout when a probe is armed.
/// </summary>
internal sealed class AwaitShape
{
    private AwaitShape(int returnSlot, int exceptionSlot, int durationSlot, bool isValueTask, Type? resultType)
    {
        ReturnSlot = returnSlot;
        ExceptionSlot = exceptionSlot;
        DurationSlot = durationSlot;
        IsValueTask = isValueTask;
        ResultType = resultType;
    }

    public int ReturnSlot { get; }

    public int ExceptionSlot { get; }

    /// <summary>-1 when the layout has no duration slot.</summary>
    public int DurationSlot { get; }

    /// <summary>The method returns a <see cref="ValueTask"/> or <see cref="ValueTask{TResult}"/>.</summary>
    public bool IsValueTask { get; }

    /// <summary>What <c>return</c> is once awaited: <c>T</c>, or null for <see cref="Task"/> / <see cref="ValueTask"/> (no value).</summary>
    public Type? ResultType { get; }

    /// <summary>The shape of an exit probe whose return value is awaitable; null for any other layout.</summary>
    public static AwaitShape? Of(ProbeFrameLayout layout)
    {
        int returnSlot = -1, exceptionSlot = -1, durationSlot = -1;
        var slots = layout.Slots;
        for (var i = 0; i < slots.Count; i++)
        {
            switch (slots[i].Kind)
            {
                case SlotKind.Return: returnSlot = i; break;
                case SlotKind.Exception: exceptionSlot = i; break;
                case SlotKind.Duration: durationSlot = i; break;
            }
        }
        if (returnSlot < 0 || exceptionSlot < 0) return null;
        var declared = slots[returnSlot].DeclaredType;
        if (declared == typeof(Task)) return new AwaitShape(returnSlot, exceptionSlot, durationSlot, false, null);
        if (declared == typeof(ValueTask)) return new AwaitShape(returnSlot, exceptionSlot, durationSlot, true, null);
        if (declared.IsConstructedGenericType)
        {
            var definition = declared.GetGenericTypeDefinition();
            if (definition == typeof(Task<>)) return new AwaitShape(returnSlot, exceptionSlot, durationSlot, false, declared.GetGenericArguments()[0]);
            if (definition == typeof(ValueTask<>)) return new AwaitShape(returnSlot, exceptionSlot, durationSlot, true, declared.GetGenericArguments()[0]);
        }
        return null;
    }

    /// <summary>Whether <paramref name="type"/> is <see cref="ValueTask"/> or a <see cref="ValueTask{TResult}"/>.</summary>
    public static bool IsValueTaskType(Type type) =>
        type == typeof(ValueTask) || type.IsConstructedGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>);
}

/// <summary>An exception of a faulted task that the runtime's internal fields did not give up (shown as text).</summary>
internal sealed class NotReadableException(string reason) : Exception(reason)
{
    /// <summary>What a snapshot shows instead of the exception.</summary>
    public string Text => $"[not readable: {Message}]";
}

/// <summary>
/// Reads a task's outcome without changing what the application sees: never <see cref="Task.Exception"/>,
/// <c>Result</c> of a task that did not run to completion, <c>GetResult</c> or <c>Wait</c> (they mark a fault as
/// observed, so <see cref="TaskScheduler.UnobservedTaskException"/> would no longer be raised for it), and never
/// anything of a <see cref="ValueTask"/> backed by an <see cref="System.Threading.Tasks.Sources.IValueTaskSource"/>
/// (it may be consumed once only). The faulting exception is read from the runtime's private fields.
/// </summary>
internal static class TaskOutcome
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;

    /// <summary>
    /// The runtime's private fields that hold a task's exceptions: Task.m_contingentProperties ->
    /// ContingentProperties.m_exceptionsHolder -> TaskExceptionHolder.m_faultExceptions (List&lt;ExceptionDispatchInfo&gt;)
    /// / .m_cancellationException (ExceptionDispatchInfo). A field is null when a runtime has other names.
    /// </summary>
    internal sealed record TaskFields(FieldInfo? Contingent, FieldInfo? Holder, FieldInfo? Faults, FieldInfo? Cancellation)
    {
        public static readonly TaskFields Runtime = Find();

        private static TaskFields Find()
        {
            var contingent = typeof(Task).GetField("m_contingentProperties", Instance);
            var holder = contingent?.FieldType.GetField("m_exceptionsHolder", Instance);
            return new TaskFields(contingent, holder, holder?.FieldType.GetField("m_faultExceptions", Instance),
                holder?.FieldType.GetField("m_cancellationException", Instance));
        }
    }

    private static readonly ConcurrentDictionary<Type, PropertyInfo?> s_results = new();
    private static readonly ConcurrentDictionary<Type, (FieldInfo? Obj, FieldInfo? Result)> s_valueTaskFields = new();

    /// <summary>
    /// What a returned awaitable stands for: a task to wait for, or (a <see cref="ValueTask"/> over a result) a
    /// result already there. False for a <see cref="ValueTask"/> backed by an IValueTaskSource or not readable.
    /// </summary>
    public static bool TryUnwrap(object returned, out Task? task, out object? result)
    {
        task = null;
        result = null;
        if (returned is Task t)
        {
            task = t;
            return true;
        }
        var type = returned.GetType();
        if (!AwaitShape.IsValueTaskType(type)) return false;
        var (objField, resultField) = s_valueTaskFields.GetOrAdd(type, static t =>
            (t.GetField("_obj", Instance), t.IsConstructedGenericType ? t.GetField("_result", Instance) : null));
        if (objField is null) return false;
        switch (objField.GetValue(returned))
        {
            case null:
                // Completed synchronously: the value is in the struct (none for a non-generic ValueTask).
                if (type.IsConstructedGenericType)
                {
                    if (resultField is null) return false;
                    result = resultField.GetValue(returned);
                }
                return true;
            case Task inner:
                task = inner;
                return true;
            default:
                return false; // an IValueTaskSource: not touched
        }
    }

    /// <summary>The result of a task that ran to completion (null for a non-generic task).</summary>
    public static object? ResultOf(Task task)
    {
        var property = s_results.GetOrAdd(task.GetType(), static type =>
        {
            for (var t = type; t is not null && t != typeof(Task); t = t.BaseType)
            {
                if (t.IsConstructedGenericType && t.GetGenericTypeDefinition() == typeof(Task<>))
                    return t.GetProperty(nameof(Task<int>.Result), BindingFlags.Instance | BindingFlags.Public);
            }
            return null;
        });
        // Result of a task that ran to completion neither blocks nor observes anything.
        return property?.GetValue(task);
    }

    /// <summary>
    /// The exception that faulted the task (the first one), or for a cancelled task the OperationCanceledException
    /// that cancelled it (a <see cref="TaskCanceledException"/> when the runtime kept none, as <c>await</c> throws).
    /// A <see cref="NotReadableException"/> when the runtime's fields are not there. Null when it ran to completion.
    /// </summary>
    public static Exception? ExceptionOf(Task task) => ExceptionOf(task, TaskFields.Runtime);

    /// <summary><see cref="ExceptionOf(Task)"/> through the given fields (tests stand in for another runtime).</summary>
    internal static Exception? ExceptionOf(Task task, TaskFields fields)
    {
        var status = task.Status;
        if (status is not (TaskStatus.Faulted or TaskStatus.Canceled)) return null;
        object? holder;
        try
        {
            if (fields.Contingent is null || fields.Holder is null)
                return status == TaskStatus.Canceled ? new TaskCanceledException(task) : new NotReadableException("this runtime's Task has no exception holder field");
            var contingent = fields.Contingent.GetValue(task);
            holder = contingent is null ? null : fields.Holder.GetValue(contingent);
        }
        catch (Exception e)
        {
            return new NotReadableException(e.Message);
        }
        if (status == TaskStatus.Canceled)
        {
            try
            {
                if (holder is not null && fields.Cancellation?.GetValue(holder) is ExceptionDispatchInfo info) return info.SourceException;
            }
            catch
            {
                // fall back to what await would throw
            }
            return new TaskCanceledException(task);
        }
        try
        {
            if (fields.Faults is null) return new NotReadableException("this runtime's TaskExceptionHolder has no fault list");
            if (holder is not null && fields.Faults.GetValue(holder) is List<ExceptionDispatchInfo> { Count: > 0 } faults) return faults[0].SourceException;
            return new NotReadableException("the faulted task holds no exception");
        }
        catch (Exception e)
        {
            return new NotReadableException(e.Message);
        }
    }
}
