using Deep.Agent.Expressions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;

namespace Deep.Agent.Actions;

/// <summary>A log-only action (<c>log_msg</c> with <c>snapshot=no_collect</c>): renders the template to the log sinks.</summary>
internal sealed class LogAction : ProbeAction
{
    private readonly AgentContext _context;
    private readonly string _template;
    private LogTemplate<HitState>? _compiled;

    public LogAction(TracePointConfig tracepoint, RateLimiter limiter, AgentContext context, string template)
        : base(tracepoint, limiter)
    {
        _context = context;
        _template = template;
    }

    public override ActionKind Kind => ActionKind.Log;

    protected override string? PrepareCore(ProbeFrameLayout layout)
    {
        var binding = new ExpressionBinding(layout);
        Condition = Conditions.Compile(Tracepoint.Args.GetValueOrDefault("condition"), binding, this, out var error);
        if (error is not null) return error;
        _compiled = binding.CompileTemplate(_template, out error);
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
