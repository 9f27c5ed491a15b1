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
        var prologue = new List<byte>(32);
        ProbeCode.EmitOp(prologue, 0x28, tokens.FrameEnter);   // call FrameEnter
        StoreLocal(prologue, locals.Mark);
        // The entry timestamp is read only by an exit probe's duration slot, and only when that probe may fire:
        // a clock read costs 20-120 ns, more than a rate-limited hit may (docs/benchmarks.md, "Method tracepoints").
        // A start of 0 makes ElapsedNanos answer -1 ("unknown") and the runtime skips that exit hit.
        var timed = exitProbes.Where(p => p.Slots.Any(s => s.Kind == SlotKind.Duration)).ToList();
        if (timed.Count == 0)
        {
            prologue.Add(0x16);                                 // ldc.i4.0
            prologue.Add(0x6A);                                 // conv.i8   (nothing reads start)
        }
        else
        {
            ProbeCode.EmitTimestampIfAny(prologue, timed.Select(p => p.ProbeId).ToList(), tokens);
        }
        StoreLocal(prologue, locals.Start);
        prologue.Add(0x14);                                     // ldnull
        StoreLocal(prologue, locals.Exception);
        var ret = method.Signature.ReturnType;
        if (locals.Return >= 0 && !ret.IsByRef)
        {
            // An exception path reads the return local too (its slot is then ignored): never read garbage.
            prologue.AddRange([0xFE, 0x0D, (byte)locals.Return, (byte)(locals.Return >> 8)]); // ldloca
            prologue.AddRange([0xFE, 0x15]);                                                  // initobj T
            var token = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(token, tokens.TypeToken(ret.Blob));
            prologue.AddRange(token);
        }

        var finallyCode = new List<byte>(64);
        if (timed.Count > 0)
            ProbeCode.EmitElapsedInPlace(finallyCode, locals.Start, tokens); // the duration, before any value is captured
        int stackNeed = 2;
        foreach (var probe in exitProbes)
        {
            var insertion = ProbeCode.Build(probe with { ILOffset = 0, Kind = InsertionKind.Probe }, method, tokens, locals);
            finallyCode.AddRange(insertion.Code);
            stackNeed = Math.Max(stackNeed, insertion.StackNeed);
        }
        ProbeCode.LoadLocal(finallyCode, locals.Mark);
        ProbeCode.EmitOp(finallyCode, 0x28, tokens.FrameExit); // call FrameExit(mark)
        return new ExitWrap(prologue.ToArray(), finallyCode.ToArray(), locals.Return, locals.Exception, localsToken, stackNeed);
    }

    private static void StoreLocal(List<byte> il, int index) =>
        il.AddRange([0xFE, 0x0E, (byte)index, (byte)(index >> 8)]); // stloc
}
