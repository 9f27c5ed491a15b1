using Deep.Agent.Expressions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;
using Deep.Tracepoints;

namespace Deep.Agent.Actions;

/// <summary>A log-only action (<c>log_msg</c> with <c>snapshot=no_collect</c>): renders the template to the log sinks.</summary>
internal sealed class LogAction : ProbeAction
{
    private readonly AgentContext _context;
    private readonly TracepointSpec _spec;
    private LogTemplate<HitState>? _compiled;

    public LogAction(TracePointConfig tracepoint, TracepointSpec spec, RateLimiter limiter, AgentContext context)
        : base(tracepoint, limiter)
    {
        _context = context;
        _spec = spec;
    }

    public override ActionKind Kind => ActionKind.Log;

    protected override string? PrepareCore(ProbeFrameLayout layout)
    {
        var binding = new ExpressionBinding(layout);
        Condition = Conditions.Compile(_spec.Condition, binding, this, out var error);
        if (error is not null) return error;
        _compiled = binding.CompileTemplate(_spec.LogMessage!, out error);
        if (error is not null) return error;
        FailedExpressions = binding.Failures;
        binding.Log(this);
        return null;
    }

    public override void Process(Hit hit)
    {
        var message = _compiled!.Render(hit.Values, null, _context.Redactor);
        LogEmitter.Emit(_context, this, new DeepLogEntry(message, TracepointId, hit.ContextId, Tracepoint.Path, (int)Tracepoint.LineNumber));
    }
}
