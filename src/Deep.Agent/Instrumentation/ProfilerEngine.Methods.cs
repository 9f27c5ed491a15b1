using System.Reflection;
using Deep.Agent.Native;
using Deep.Agent.Probes;
using Deep.Agent.Symbols;

namespace Deep.Agent.Instrumentation;

/// <summary>
/// Method locations (<c>method_name</c>): every overload the resolver finds gets a placement under its own runtime id
/// (an alias of the probe, with its own layout) and exit hooks. <c>method_start</c> is a probe at IL offset 0 with
/// <c>this</c> and the arguments; <c>method_end</c> / <c>method_capture</c> are exit probes that also hand over the
/// return value, the leaving exception and the duration (probe-abi.md §1, "Exit hooks").
/// </summary>
internal sealed partial class ProfilerEngine
{
    private void InstallMethodLocation(ProbeLocation location)
    {
        int probeId = location.ProbeId;
        if (location.MethodName is not { } methodName)
        {
            Fail(location, $"stage {location.Stage} needs method_name");
            return;
        }
        var resolution = MethodResolver.Resolve(location.Path, methodName, location.ClassName, _symbols.Assemblies);
        if (resolution.Failure is { } failure)
        {
            if (failure == ResolutionFailure.FileNotFound)
            {
                _pending.Add(probeId);
                _status.Set(StatusOf(location, ProbeInstallState.Pending, resolution.Error));
            }
            else
            {
                Fail(location, resolution.Error ?? "the method could not be resolved");
            }
            return;
        }

        bool exit = location.Stage is TracepointStage.MethodEnd or TracepointStage.MethodCapture;
        var placements = new List<Placement>();
        var aliases = new List<(int Id, ProbeFrameLayout Layout)>();
        var notCaptured = new List<string>();
        foreach (var resolved in resolution.Methods)
        {
            if (location.ExceptionFrame && AsyncCatch(resolved) is { } async)
            {
                // An async method's exception never leaves MoveNext (its catch stores it in the task): the hook is a
                // probe in that catch, with the state machine (hoisted locals, arguments) and MoveNext's own locals.
                int asyncId = _binder.NewAliasId();
                aliases.Add((asyncId, async.Layout));
                placements.Add(new Placement(async.Layout.Method, async.Layout.ILOffset, async.Sources, InsertionKind.Probe, asyncId));
                notCaptured.AddRange(async.Layout.NotCaptured);
                continue;
            }
            var method = resolved.Method;
            var capture = location.ExceptionFrame
                ? FrameLayoutBuilder.BuildAllScopes(method, resolved.Symbols.Reader, resolved.Handle)
                : FrameLayoutBuilder.Build(method, null, resolved.Handle, 0);
            var slots = capture.Values.Select(v => v.Slot).ToList();
            var sources = capture.Values.Select(v => new SlotSource(v.Slot.Kind, v.Index)).ToList();
            var missing = capture.NotCaptured.ToList();
            var kind = exit ? InsertionKind.Exit : InsertionKind.Probe;
            if (location.ExceptionFrame && !ReturnsTask(method))
            {
                // Only an exception leaving the method matters: a normal return skips the probe with one branch.
                AddExceptionSlot(slots, sources);
                kind = InsertionKind.ExitOnException;
            }
            else if (exit)
            {
                AddOutcomeSlots(method, slots, sources, missing);
            }
            int runtimeId = _binder.NewAliasId();
            var layout = new ProbeFrameLayout(slots, method, resolved.DocumentPath, resolved.FirstLine, exit ? -1 : 0, missing)
            {
                HasExitHooks = true,
                MethodSignature = MethodResolver.Signature(method),
            };
            aliases.Add((runtimeId, layout));
            placements.Add(new Placement(method, 0, sources, kind, runtimeId));
            // Exit hooks always: a span=method stops in them, and they cost one try/finally.
            placements.Add(new Placement(method, 0, [], InsertionKind.FrameHooks, runtimeId));
            notCaptured.AddRange(missing.Select(m => resolution.Methods.Count > 1 ? $"{MethodResolver.Signature(method)}: {m}" : m));
        }

        // The runtime must know each layout before the rewritten code can call it.
        foreach (var (id, layout) in aliases)
        {
            _binder.BindAlias(id, probeId, layout);
        }
        if (Place(probeId, placements) is { Error: var error })
        {
            foreach (var (id, _) in aliases)
            {
                _binder.UnbindAlias(id, probeId);
            }
            Fail(location, $"{methodName} cannot be instrumented: {error}");
            return;
        }
        var described = string.Join("; ", resolution.Methods.Select(m => MethodResolver.Describe(m.Method)));
        _status.Set(new ProbeInstallStatus(probeId, location, ProbeInstallState.Installed, null, described, exit ? -1 : 0,
            resolution.Methods[0].FirstLine, notCaptured, DateTimeOffset.UtcNow));
    }

    // return (when the method returns a value that can be captured), exception, duration.
    private static void AddOutcomeSlots(MethodBase method, List<ProbeSlot> slots, List<SlotSource> sources, List<string> missing)
    {
        if (method is MethodInfo info && info.ReturnType != typeof(void))
        {
            var type = info.ReturnType;
            var element = type.IsByRef ? type.GetElementType()! : type;
            string? why = FrameLayoutBuilder.WhyNotCapturable(element);
            if (why is null && element.IsGenericParameter && (element.GenericParameterAttributes & Native.RuntimeSupport.AllowByRefLike) != 0)
            {
                why = "may be a ref struct (allows ref struct) and cannot be captured";
            }
            if (why is null)
            {
                slots.Add(new ProbeSlot("return", element, SlotKind.Return));
                sources.Add(new SlotSource(SlotKind.Return, 0));
            }
            else
            {
                missing.Add($"return: {Capture.CSharpTypeNames.Of(element)} {why}");
            }
        }
        AddExceptionAndDuration(slots, sources);
    }

    // exception (null on completion) and duration (ns), for method_capture and line_capture: CAPTURE watches.
    private static void AddExceptionAndDuration(List<ProbeSlot> slots, List<SlotSource> sources)
    {
        AddExceptionSlot(slots, sources);
        slots.Add(new ProbeSlot("duration", typeof(long), SlotKind.Duration));
        sources.Add(new SlotSource(SlotKind.Duration, 0));
    }

    private static void AddExceptionSlot(List<ProbeSlot> slots, List<SlotSource> sources)
    {
        slots.Add(new ProbeSlot("exception", typeof(Exception), SlotKind.Exception));
        sources.Add(new SlotSource(SlotKind.Exception, 0));
    }

    // An async method (or any returning a task) stores its exception in the task: its hook must see the return value.
    private static bool ReturnsTask(MethodBase method) =>
        method is MethodInfo info && (typeof(Task).IsAssignableFrom(info.ReturnType) || AwaitShape.IsValueTaskType(info.ReturnType));

    /// <summary>
    /// Exception Replay's hook of an async method: a probe in its MoveNext's outermost <c>catch (Exception)</c>, right
    /// after the handler stores the exception in a local (before SetException), with the state machine (<c>this</c>),
    /// MoveNext's named locals (all scopes) and that local as the exception. Null when the method is not async or its
    /// MoveNext does not have that shape (the kickoff stub is hooked instead).
    /// </summary>
    private static (ProbeFrameLayout Layout, List<SlotSource> Sources)? AsyncCatch(ResolvedMethod resolved)
    {
        var machine = resolved.Method.GetCustomAttribute<System.Runtime.CompilerServices.AsyncStateMachineAttribute>()?.StateMachineType;
        var moveNext = machine?.GetMethod("MoveNext", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes);
        var body = moveNext?.GetMethodBody();
        var il = body?.GetILAsByteArray();
        if (moveNext is null || body is null || il is null) return null;
        var clause = body.ExceptionHandlingClauses
            .Where(c => c.Flags == ExceptionHandlingClauseOptions.Clause && c.CatchType == typeof(Exception))
            .OrderByDescending(c => c.TryLength).FirstOrDefault();
        if (clause is null || StoredLocal(il, clause.HandlerOffset) is not { } stored) return null;
        var handle = System.Reflection.Metadata.Ecma335.MetadataTokens.MethodDefinitionHandle(moveNext.MetadataToken);
        var capture = FrameLayoutBuilder.BuildAllScopes(moveNext, resolved.Symbols.Reader, handle);
        var slots = capture.Values.Select(v => v.Slot).ToList();
        var sources = capture.Values.Select(v => new SlotSource(v.Slot.Kind, v.Index)).ToList();
        slots.Add(new ProbeSlot("exception", typeof(Exception), SlotKind.Exception));
        sources.Add(new SlotSource(SlotKind.Local, stored.Local));
        var layout = new ProbeFrameLayout(slots, moveNext, resolved.DocumentPath, resolved.FirstLine, clause.HandlerOffset + stored.Size, capture.NotCaptured)
        {
            MethodSignature = MethodResolver.Signature(resolved.Method),
        };
        return (layout, sources);
    }

    // The local a handler's first instruction stores the caught exception in (stloc.0-3, stloc.s, stloc), with its size.
    private static (int Local, int Size)? StoredLocal(byte[] il, int at)
    {
        if (at < 0 || at >= il.Length) return null;
        return il[at] switch
        {
            >= 0x0A and <= 0x0D => (il[at] - 0x0A, 1),
            0x13 when at + 1 < il.Length => (il[at + 1], 2),
            0xFE when at + 3 < il.Length && il[at + 1] == 0x0E => (il[at + 2] | il[at + 3] << 8, 4),
            _ => null,
        };
    }

    /// <summary>
    /// For Exception Replay: which values of <paramref name="method"/>'s exception hook (its all-scopes layout, by
    /// position) are in scope at <paramref name="ilOffset"/>, under the names they have there; null without symbols.
    /// </summary>
    internal IReadOnlyList<(int Position, ProbeSlot Shown)>? InScope(MethodBase method, int ilOffset)
    {
        var assembly = method.Module.Assembly;
        var symbols = _symbols.Assemblies.FirstOrDefault(a => a.Assembly == assembly);
        if (symbols?.Reader is not { } pdb) return null;
        var handle = System.Reflection.Metadata.Ecma335.MetadataTokens.MethodDefinitionHandle(method.MetadataToken);
        return FrameLayoutBuilder.InScope(method, pdb, handle, ilOffset);
    }
}
