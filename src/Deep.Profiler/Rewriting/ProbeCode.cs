using System.Reflection.Metadata;
using Deep.Abi;

namespace Deep.Profiler.Rewriting;

/// <summary>The wrapper's locals, for exit probes and span ends.</summary>
/// <param name="Return">The return value's local, or -1 (void, or a return type that cannot be held).</param>
/// <param name="Exception">The leaving exception's local (object).</param>
/// <param name="Start">The entry timestamp's local (int64).</param>
/// <param name="Mark">The frame mark's local (int32) from <c>FrameEnter</c>.</param>
internal sealed record HookLocals(int Return, int Exception, int Start, int Mark);

/// <summary>One probe: its id, where it goes, and what it captures, in slot order.</summary>
internal sealed record ProbeRequest(int ProbeId, int ILOffset, IReadOnlyList<SlotSource> Slots, InsertionKind Kind = InsertionKind.Probe)
{
    /// <summary>A line capture's after-line offset (the end of the wrapped line).</summary>
    public int EndILOffset { get; init; }
}

/// <summary>What the rewritten method looks like from inside: its signature, locals and declaring type.</summary>
/// <param name="Signature">The method's signature.</param>
/// <param name="Locals">The local variable types (empty when the method has none).</param>
/// <param name="DeclaringTypeToken">The TypeDef of the declaring type (for a struct's <c>this</c>).</param>
/// <param name="DeclaringTypeIsValueType">The declaring type is a struct: <c>this</c> is a byref.</param>
/// <param name="DeclaringTypeGenericArity">The declaring type's generic parameter count.</param>
internal sealed record MethodContext(MethodSig Signature, IReadOnlyList<SigType> Locals, int DeclaringTypeToken, bool DeclaringTypeIsValueType, int DeclaringTypeGenericArity)
{
    /// <summary>The raw local signature blob (null when the method has no locals), for the exit hooks' new locals.</summary>
    public byte[]? LocalsSignature { get; init; }
}

/// <summary>Metadata tokens the probe code needs, minted in the method's module.</summary>
internal interface IProbeTokens
{
    /// <summary>MemberRef of <c>ProbeRuntime.Enter(int32):bool</c>.</summary>
    int Enter { get; }
    /// <summary>MemberRef of <c>ProbeRuntime.Fire(int32):void</c>.</summary>
    int Fire { get; }
    /// <summary>MemberRef of <c>ProbeRuntime.ValueObject(object,int32):void</c>.</summary>
    int ValueObject { get; }
    /// <summary>MethodSpec of <c>ProbeRuntime.Value&lt;T&gt;</c> for the type blob, or 0 when none can be made.</summary>
    int ValueOf(byte[] typeBlob);
    /// <summary>A TypeDef/TypeRef/TypeSpec token for the type blob (for <c>ldobj</c> and <c>box</c>).</summary>
    int TypeToken(byte[] typeBlob);
    /// <summary>MemberRef of <c>ProbeRuntime.FrameEnter():int32</c>.</summary>
    int FrameEnter { get; }
    /// <summary>MemberRef of <c>ProbeRuntime.FrameExit(int32):void</c>.</summary>
    int FrameExit { get; }
    /// <summary>MemberRef of <c>ProbeRuntime.SpanEnd(int32,int32):void</c>.</summary>
    int SpanEnd { get; }
    /// <summary>MemberRef of <c>ProbeRuntime.Timestamp():int64</c>.</summary>
    int Timestamp { get; }
    /// <summary>MemberRef of <c>ProbeRuntime.TimestampIf(int32):int64</c>.</summary>
    int TimestampIf { get; }
    /// <summary>MemberRef of <c>ProbeRuntime.ElapsedNanos(int64):int64</c>.</summary>
    int ElapsedNanos { get; }
    /// <summary>A StandAloneSig token for a local variable signature blob.</summary>
    int LocalsToken(byte[] signature);
}

/// <summary>
/// Builds the stack-neutral IL of a line probe (probe-abi.md §1):
/// <c>ldc.i4 P; call Enter; brfalse SKIP; (load v; ldc.i4 slot; call Value&lt;T&gt;)*; ldc.i4 P; call Fire; SKIP:</c>.
/// </summary>
internal static class ProbeCode
{
    /// <summary>The most stack slots the probe code uses on top of what is there: a value and its slot number.</summary>
    public const int StackNeed = 2;

    private static readonly byte[] s_objectBlob = [ElementType.Object];
    private static readonly byte[] s_nativeUIntBlob = [ElementType.U];
    private static readonly byte[] s_int64Blob = [ElementType.I8];

    /// <summary>Builds the insertion for one probe; throws <see cref="InvalidILException"/> for a slot it cannot load.</summary>
    public static ILInsertion Build(ProbeRequest probe, MethodContext method, IProbeTokens tokens, HookLocals? hooks = null)
    {
        if (probe.Kind == InsertionKind.SpanEnd)
        {
            if (hooks is null)
                throw new InvalidILException($"span end of probe {probe.ProbeId} without exit hooks");
            var end = new ILEmitter(16).LoadLocal(hooks.Mark)
                .Op(ILOpCode.Ldc_i4, probe.ProbeId)
                .Op(ILOpCode.Call, tokens.SpanEnd);     // SpanEnd(mark, P)
            return new ILInsertion(probe.ILOffset, end.ToArray(), StackNeed);
        }
        var il = new ILEmitter(32 + probe.Slots.Count * 16);
        il.Op(ILOpCode.Ldc_i4, probe.ProbeId).Op(ILOpCode.Call, tokens.Enter);
        int skip = il.Branch(ILOpCode.Brfalse);         // to the end of this code

        for (int slot = 0; slot < probe.Slots.Count; slot++)
            EmitSlot(il, probe.Slots[slot], slot, method, tokens, hooks);

        il.Op(ILOpCode.Ldc_i4, probe.ProbeId).Op(ILOpCode.Call, tokens.Fire);
        il.Land(skip, ILOpCode.Brfalse);
        return new ILInsertion(probe.ILOffset, il.ToArray(), StackNeed);
    }

    private static void EmitSlot(ILEmitter il, SlotSource request, int slot, MethodContext method, IProbeTokens tokens, HookLocals? hooks)
    {
        if (request.Kind is SlotKind.Return or SlotKind.Exception or SlotKind.Duration)
        {
            if (hooks is null)
                throw new InvalidILException($"slot {slot}: {request.Kind} is only available to exit probes");
            switch (request.Kind)
            {
                case SlotKind.Exception:
                    il.LoadLocal(hooks.Exception).Op(ILOpCode.Ldc_i4, slot).Op(ILOpCode.Call, tokens.ValueObject);
                    return;
                case SlotKind.Duration:
                {
                    int valueOfLong = tokens.ValueOf(s_int64Blob);
                    if (valueOfLong == 0)
                        throw new InvalidILException($"slot {slot}: no Value<int64> instantiation could be made");
                    il.LoadLocal(hooks.Start)           // already the elapsed nanoseconds (EmitElapsedInPlace)
                        .Op(ILOpCode.Ldc_i4, slot).Op(ILOpCode.Call, valueOfLong);
                    return;
                }
                default:
                    if (hooks.Return < 0)
                        throw new InvalidILException($"slot {slot}: the method returns nothing that can be captured");
                    request = new SlotSource(SlotKind.Local, hooks.Return);
                    method = method with { Locals = WithReturnLocal(method, hooks.Return) };
                    break;
            }
        }
        var sig = method.Signature;
        SigType type;
        Action<ILEmitter> load;
        bool isThis = false;
        switch (request.Kind)
        {
            case SlotKind.This:
            case SlotKind.Argument when request.Index == 0 && sig.HasThis && !sig.ExplicitThis:
                if (!sig.HasThis)
                    throw new InvalidILException($"slot {slot}: a static method has no 'this'");
                type = ThisType(method);
                load = code => code.LoadArgument(0);
                isThis = true;
                break;
            case SlotKind.Argument:
            {
                int parameter = request.Index - (sig.HasThis && !sig.ExplicitThis ? 1 : 0);
                if (request.Index < 0 || parameter < 0 || parameter >= sig.Parameters.Count)
                    throw new InvalidILException($"slot {slot}: argument {request.Index} does not exist (the method has {sig.Parameters.Count} parameters{(sig.HasThis ? " and 'this'" : "")})");
                type = sig.Parameters[parameter];
                int index = request.Index;
                load = code => code.LoadArgument(index);
                break;
            }
            case SlotKind.Local:
            {
                if (request.Index < 0 || request.Index >= method.Locals.Count)
                    throw new InvalidILException($"slot {slot}: local {request.Index} does not exist (the method has {method.Locals.Count} locals)");
                type = method.Locals[request.Index];
                int index = request.Index;
                load = code => code.LoadLocal(index);
                break;
            }
            default:
                throw new InvalidILException($"slot {slot}: unknown source kind {(int)request.Kind}");
        }

        if (type.Element == ElementType.TypedByRef)
            throw new InvalidILException($"slot {slot}: a TypedReference cannot be captured");

        // A byref local (or a ref argument given Unsafe.NullRef) may be null where the probe runs: dereferencing
        // it would throw in the application. Such a slot is skipped when its reference is null.
        int guard = -1;
        if (type.IsByRef && !isThis)
        {
            load(il);
            guard = il.Branch(ILOpCode.Brfalse);    // past this slot
        }

        load(il);
        if (type.IsByRef)
        {
            // A managed pointer: load what it points to, so the probe sees the value and not an address.
            if (LdindFor(type) is { } ldind)
                il.Op(ldind);
            else
                il.Op(ILOpCode.Ldobj, tokens.TypeToken(type.Blob));
        }
        byte[] valueBlob = type.IsReference ? s_objectBlob
            : type.Element is ElementType.Ptr or ElementType.FnPtr ? s_nativeUIntBlob
            : type.Blob;

        if (valueBlob == s_objectBlob)
        {
            // A reference is handed over as it is.
            il.Op(ILOpCode.Ldc_i4, slot).Op(ILOpCode.Call, tokens.ValueObject);
        }
        else if (tokens.ValueOf(valueBlob) is int valueMethod && valueMethod != 0)
        {
            il.Op(ILOpCode.Ldc_i4, slot).Op(ILOpCode.Call, valueMethod);   // Value<T>
        }
        else
        {
            // No instantiation could be made: box the value and hand it over as an object.
            il.Op(ILOpCode.Box, tokens.TypeToken(valueBlob)).Op(ILOpCode.Ldc_i4, slot).Op(ILOpCode.Call, tokens.ValueObject);
        }

        if (guard >= 0)
            il.Land(guard, ILOpCode.Brfalse);
    }

    // The return local is past the original locals: give the slot code its type (the method's return type).
    private static IReadOnlyList<SigType> WithReturnLocal(MethodContext method, int index)
    {
        var locals = new List<SigType>(method.Locals);
        while (locals.Count <= index)
            locals.Add(method.Signature.ReturnType);
        locals[index] = method.Signature.ReturnType;
        return locals;
    }

    /// <summary>
    /// At an exit (the exit hooks' finally, a line capture's filter or completion), before any probe runs: turns the
    /// start timestamp in <paramref name="startLocal"/> into the elapsed nanoseconds (<c>ElapsedNanos</c>), or -1 when
    /// it is 0 (no probe could fire at the start; no call then). Taken first, so a duration never includes the
    /// capture of the probes' values (nor, on a first hit, the compilation of the agent's code that stores them).
    /// <c>ldloc s; brfalse.s Z; ldloc s; call ElapsedNanos; br.s W; Z: ldc.i4.m1; conv.i8; W: stloc s</c>.
    /// </summary>
    internal static void EmitElapsedInPlace(ILEmitter il, int startLocal, IProbeTokens tokens)
    {
        il.LoadLocal(startLocal);
        int zero = il.Branch(ILOpCode.Brfalse_s);
        il.LoadLocal(startLocal).Op(ILOpCode.Call, tokens.ElapsedNanos);
        int done = il.Branch(ILOpCode.Br_s);
        il.Land(zero, ILOpCode.Brfalse_s);
        il.Op(ILOpCode.Ldc_i4_m1).Op(ILOpCode.Conv_i8);
        il.Land(done, ILOpCode.Br_s);
        il.Op(ILOpCode.Stloc, (ushort)startLocal);
    }

    /// <summary>
    /// Pushes a start timestamp for timed probes <paramref name="probeIds"/> (at least one): <c>TimestampIf(P)</c> for
    /// one; for several the first non-zero <c>TimestampIf(P1)</c>, <c>TimestampIf(P2)</c>, ..., so the clock is read at
    /// most once, and only when one of them may fire. Self-contained (relative branches only), stack need 2.
    /// </summary>
    internal static void EmitTimestampIfAny(ILEmitter il, IReadOnlyList<int> probeIds, IProbeTokens tokens)
    {
        var toEnd = new List<int>(probeIds.Count);
        for (int k = 0; k < probeIds.Count; k++)
        {
            // TimestampIf(Pk): 0 when Pk cannot fire
            il.Op(ILOpCode.Ldc_i4, probeIds[k]).Op(ILOpCode.Call, tokens.TimestampIf);
            if (k == probeIds.Count - 1)
                break;
            il.Op(ILOpCode.Dup);
            toEnd.Add(il.Branch(ILOpCode.Brtrue));
            il.Op(ILOpCode.Pop);
        }
        foreach (int branch in toEnd)
            il.Land(branch, ILOpCode.Brtrue);
    }

    private static SigType ThisType(MethodContext method)
    {
        if (!method.DeclaringTypeIsValueType)
            return new SigType(s_objectBlob, false, false);
        // `this` of a struct is a byref to the struct; in a generic struct it is the open instantiation.
        var typeRef = SignatureParser.EncodeTypeDefOrRef(method.DeclaringTypeToken);
        var blob = new List<byte>();
        if (method.DeclaringTypeGenericArity == 0)
        {
            blob.Add(ElementType.ValueType);
            blob.AddRange(typeRef);
        }
        else
        {
            blob.Add(ElementType.GenericInst);
            blob.Add(ElementType.ValueType);
            blob.AddRange(typeRef);
            blob.AddRange(SignatureParser.EncodeCompressed(method.DeclaringTypeGenericArity));
            for (int i = 0; i < method.DeclaringTypeGenericArity; i++)
            {
                blob.Add(ElementType.Var);
                blob.AddRange(SignatureParser.EncodeCompressed(i));
            }
        }
        return new SigType(blob.ToArray(), true, false);
    }

    private static ILOpCode? LdindFor(SigType type) => type.Element switch
    {
        ElementType.Boolean or ElementType.U1 => ILOpCode.Ldind_u1,
        ElementType.I1 => ILOpCode.Ldind_i1,
        ElementType.Char or ElementType.U2 => ILOpCode.Ldind_u2,
        ElementType.I2 => ILOpCode.Ldind_i2,
        ElementType.I4 => ILOpCode.Ldind_i4,
        ElementType.U4 => ILOpCode.Ldind_u4,
        ElementType.I8 or ElementType.U8 => ILOpCode.Ldind_i8,
        ElementType.R4 => ILOpCode.Ldind_r4,
        ElementType.R8 => ILOpCode.Ldind_r8,
        ElementType.I or ElementType.U or ElementType.Ptr or ElementType.FnPtr => ILOpCode.Ldind_i,
        _ when type.IsReference => ILOpCode.Ldind_ref,
        _ => null,                                          // structs and generic parameters: ldobj
    };
}
