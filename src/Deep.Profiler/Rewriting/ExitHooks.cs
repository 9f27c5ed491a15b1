using System.Reflection.Metadata;
using Deep.Abi;

namespace Deep.Profiler.Rewriting;

/// <summary>
/// Builds the exit hooks of a method (probe-abi.md §1, "Exit hooks"): four new locals appended to the method's
/// local signature (return value, leaving exception, entry timestamp, frame mark), the prologue that initialises them,
/// and the finally code that runs the exit probes and <c>FrameExit</c> on every exit path.
/// </summary>
internal static class ExitHooks
{
    /// <summary>The wrapper's locals and the new local signature blob (the original locals first, unchanged).</summary>
    public static (HookLocals Locals, byte[] Signature) PlanLocals(MethodContext method, byte[]? originalSignature)
    {
        var (count, rest) = SignatureParser.SplitLocals(originalSignature);
        var ret = method.Signature.ReturnType;
        if (ret.Element == ElementType.TypedByRef)
            throw new InvalidILException(new ProbeRefusal(RefusalCode.MethodReturnsTypedReference));
        int next = count;
        int returnLocal = -1;
        if (ret.Element != ElementType.Void || ret.IsByRef)
        {
            returnLocal = next++;
            if (ret.IsByRef)
                rest.Add(ElementType.ByRef);
            rest.AddRange(ret.Blob);
        }
        int exception = next++;
        rest.Add(ElementType.Object);
        int start = next++;
        rest.Add(ElementType.I8);
        int mark = next++;
        rest.Add(ElementType.I4);
        return (new HookLocals(returnLocal, exception, start, mark), SignatureParser.JoinLocals(next, rest, "the exit hooks' locals"));
    }

    /// <summary>The wrapper: prologue (locals initialised, frame entered) and finally (exit probes, frame exit).</summary>
    public static ExitWrap Build(MethodContext method, HookLocals locals, int localsToken, IReadOnlyList<ProbeRequest> exitProbes, IProbeTokens tokens)
    {
        var prologue = new ILEmitter(32);
        prologue.Op(ILOpCode.Call, tokens.FrameEnter).Op(ILOpCode.Stloc, (ushort)locals.Mark);
        // The entry timestamp is read only by an exit probe's duration slot, and only when that probe may fire:
        // a clock read costs 20-120 ns, more than a rate-limited hit may (docs/benchmarks.md, "Method tracepoints").
        // A start of 0 makes ElapsedNanos answer -1 ("unknown") and the runtime skips that exit hit.
        var timed = exitProbes.Where(p => p.Slots.Any(s => s.Kind == SlotKind.Duration)).ToList();
        if (timed.Count == 0)
            prologue.Op(ILOpCode.Ldc_i4_0).Op(ILOpCode.Conv_i8);  // nothing reads start
        else
            ProbeCode.EmitTimestampIfAny(prologue, timed.Select(p => p.ProbeId).ToList(), tokens);
        prologue.Op(ILOpCode.Stloc, (ushort)locals.Start);
        prologue.Op(ILOpCode.Ldnull).Op(ILOpCode.Stloc, (ushort)locals.Exception);
        var ret = method.Signature.ReturnType;
        if (locals.Return >= 0 && !ret.IsByRef)
        {
            // An exception path reads the return local too (its slot is then ignored): never read garbage.
            prologue.Op(ILOpCode.Ldloca, (ushort)locals.Return).Op(ILOpCode.Initobj, tokens.TypeToken(ret.Blob));
        }

        var finallyCode = new ILEmitter(64);
        if (timed.Count > 0)
            ProbeCode.EmitElapsedInPlace(finallyCode, locals.Start, tokens); // the duration, before any value is captured
        int stackNeed = 2;
        foreach (var probe in exitProbes)
        {
            var insertion = ProbeCode.Build(probe with { ILOffset = 0, Kind = InsertionKind.Probe }, method, tokens, locals);
            // An exception-only probe: a normal return (exc is null) skips it with one branch, no call.
            int skip = probe.Kind == InsertionKind.ExitOnException ? finallyCode.LoadLocal(locals.Exception).Branch(ILOpCode.Brfalse) : -1;
            finallyCode.Append(insertion.Code);
            if (skip >= 0)
                finallyCode.Land(skip, ILOpCode.Brfalse);
            stackNeed = Math.Max(stackNeed, insertion.StackNeed);
        }
        finallyCode.LoadLocal(locals.Mark).Op(ILOpCode.Call, tokens.FrameExit);   // FrameExit(mark)
        return new ExitWrap(prologue.ToArray(), finallyCode.ToArray(), locals.Return, locals.Exception, localsToken, stackNeed);
    }
}
