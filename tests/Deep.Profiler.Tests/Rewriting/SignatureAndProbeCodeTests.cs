using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Tests.Rewriting;

public class SignatureAndProbeCodeTests
{
    private static byte[] MethodSignatureBlob(MethodInfo method)
    {
        using var pe = new PEReader(File.OpenRead(method.Module.FullyQualifiedName));
        var reader = pe.GetMetadataReader();
        var def = reader.GetMethodDefinition((MethodDefinitionHandle)MetadataTokens.Handle(method.MetadataToken));
        return reader.GetBlobBytes(def.Signature);
    }

    private static MethodInfo Sample(string name) => typeof(SampleMethods).GetMethod(name)!;

    [Fact]
    public void Method_signature_of_a_compiled_method_matches_reflection()
    {
        var method = Sample(nameof(SampleMethods.Signature));
        var sig = SignatureParser.ParseMethod(MethodSignatureBlob(method));
        var parameters = method.GetParameters();
        Assert.False(sig.HasThis);
        Assert.Equal(parameters.Length, sig.Parameters.Count);
        for (int i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].ParameterType;
            Assert.Equal(type.IsByRef, sig.Parameters[i].IsByRef);
            var element = type.IsByRef ? type.GetElementType()! : type;
            Assert.True(element.IsValueType != sig.Parameters[i].IsReference, $"parameter {i} ({type})");
        }
        Assert.Equal(ElementType.Void, sig.ReturnType.Element);
        Assert.Equal(ElementType.I4, sig.Parameters[0].Element);      // ref int: BYREF came off
        Assert.Equal(ElementType.ValueType, sig.Parameters[2].Element); // in DateTime (modreq came off)
        Assert.Equal(ElementType.Array, sig.Parameters[5].Element);     // int[,]
        Assert.Equal(ElementType.I, sig.Parameters[7].Element);         // nint
    }

    [Fact]
    public void Generic_method_signature_and_locals_parse_with_pointers_pinned_and_byrefs()
    {
        var method = Sample(nameof(SampleMethods.Generic));
        var sig = SignatureParser.ParseMethod(MethodSignatureBlob(method));
        Assert.Equal(2, sig.GenericParameterCount);
        Assert.Equal([ElementType.MVar, 0], sig.Parameters[0].Blob);
        Assert.Equal(ElementType.Ptr, sig.Parameters[2].Element);
        Assert.Equal(ElementType.FnPtr, sig.Parameters[3].Element);

        var body = method.GetMethodBody()!;
        var locals = SignatureParser.ParseLocals(method.Module.ResolveSignature(body.LocalSignatureMetadataToken));
        Assert.Equal(body.LocalVariables.Count, locals.Count);
        for (int i = 0; i < locals.Count; i++)
        {
            Assert.Equal(body.LocalVariables[i].IsPinned, locals[i].IsPinned);
            Assert.Equal(body.LocalVariables[i].LocalType.IsByRef, locals[i].IsByRef);
        }
    }

    [Fact]
    public void Locals_of_every_sample_method_parse_to_the_count_reflection_sees()
    {
        foreach (var method in typeof(SampleMethods).GetMethods().Where(m => m.DeclaringType == typeof(SampleMethods)))
        {
            var body = method.GetMethodBody()!;
            if (body.LocalSignatureMetadataToken == 0)
                continue;
            var locals = SignatureParser.ParseLocals(method.Module.ResolveSignature(body.LocalSignatureMetadataToken));
            Assert.Equal(body.LocalVariables.Count, locals.Count);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x07 }, "truncated")]
    [InlineData(new byte[] { 0x07, 0x01, 0x99 }, "unknown element type 0x99")]
    [InlineData(new byte[] { 0x00, 0x01, 0x01, 0xFF }, "unknown element type 0xFF")]
    public void Malformed_signatures_are_refused(byte[] blob, string reason)
    {
        var e = Assert.Throws<InvalidILException>(() =>
        {
            if (blob[0] == 0x07)
                SignatureParser.ParseLocals(blob);
            else
                SignatureParser.ParseMethod(blob);
        });
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData(0x02000005)]
    [InlineData(0x01000123)]
    [InlineData(0x1B003FFF)]
    public void TypeDefOrRef_tokens_round_trip_through_their_compressed_encoding(int token)
    {
        var encoded = SignatureParser.EncodeTypeDefOrRef(token);
        int pos = 0;
        Assert.Equal(token, SignatureParser.DecodeTypeDefOrRef(SignatureParser.ReadCompressed(encoded, ref pos)));
        Assert.Equal(encoded.Length, pos);
    }

    private sealed class CountingTokens : IProbeTokens
    {
        public readonly List<byte[]> ValueBlobs = [];
        public readonly List<byte[]> TypeBlobs = [];
        public bool RefuseMethodSpecs { get; init; }
        public int Enter => 0x0A000001;
        public int Fire => 0x0A000002;
        public int ValueObject => 0x0A000003;
        public int ValueOf(byte[] typeBlob)
        {
            ValueBlobs.Add(typeBlob);
            return RefuseMethodSpecs ? 0 : 0x2B000000 | ValueBlobs.Count;
        }
        public int TypeToken(byte[] typeBlob)
        {
            TypeBlobs.Add(typeBlob);
            return 0x1B000000 | TypeBlobs.Count;
        }
        public int FrameEnter => 0x0A000011;
        public int FrameExit => 0x0A000012;
        public int SpanEnd => 0x0A000013;
        public int Timestamp => 0x0A000014;
        public int TimestampIf => 0x0A000016;
        public int ElapsedNanos => 0x0A000015;
        public int LocalsToken(byte[] signature) => 0x11000099;
    }

    private static MethodContext ContextOf(MethodInfo method, bool declaringIsStruct = false)
    {
        var body = method.GetMethodBody()!;
        var locals = body.LocalSignatureMetadataToken == 0 ? [] : SignatureParser.ParseLocals(method.Module.ResolveSignature(body.LocalSignatureMetadataToken));
        return new MethodContext(SignatureParser.ParseMethod(MethodSignatureBlob(method)), locals, method.DeclaringType!.MetadataToken, declaringIsStruct, 0);
    }

    [Fact]
    public void Probe_code_enters_loads_each_slot_and_fires_and_its_skip_branch_lands_at_its_end()
    {
        var method = Sample(nameof(SampleMethods.Signature));
        var tokens = new CountingTokens();
        var probe = new ProbeRequest(42, 0, [new(SlotKind.Argument, 0), new(SlotKind.Argument, 1), new(SlotKind.Argument, 2), new(SlotKind.Argument, 3)]);
        var insertion = ProbeCode.Build(probe, ContextOf(method), tokens);
        var il = ILDecoder.Decode(insertion.Code);
        Assert.Equal(
            [
                0x20, 0x28, 0x39,                   // ldc.i4 42; call Enter; brfalse
                0x02, 0x39, 0x02, 0x4A, 0x20, 0x28, // ldarg.0; brfalse (null ref); ldarg.0; ldind.i4 (ref int); ldc.i4 0; call Value<int32>
                0x03, 0x39, 0x03, 0x50, 0x20, 0x28, // ldarg.1; brfalse; ldarg.1; ldind.ref (out string); ldc.i4 1; call ValueObject
                0x04, 0x39, 0x04, 0x71, 0x20, 0x28, // ldarg.2; brfalse; ldarg.2; ldobj DateTime (in); ldc.i4 2; call Value<DateTime>
                0x05, 0x20, 0x28,                   // ldarg.3 (List<int>); ldc.i4 3; call ValueObject
                0x20, 0x28,                         // ldc.i4 42; call Fire
            ],
            il.Select(i => (int)i.OpCode));
        Assert.Equal(42, il[0].Operand);
        Assert.Equal(tokens.Enter, il[1].Operand);
        Assert.Equal(insertion.Code.Length, il[2].Targets[0]);
        // Each null guard jumps past its own slot, to the next slot's first instruction.
        Assert.Equal(il[9].Offset, il[4].Targets[0]);
        Assert.Equal(il[15].Offset, il[10].Targets[0]);
        Assert.Equal(il[21].Offset, il[16].Targets[0]);
        Assert.Equal(tokens.ValueObject, il[14].Operand);
        Assert.Equal(tokens.ValueObject, il[23].Operand);
        Assert.Equal(tokens.Fire, il[^1].Operand);
        Assert.Equal([[ElementType.I4], SignatureParser.ParseMethod(MethodSignatureBlob(method)).Parameters[2].Blob], tokens.ValueBlobs);
        Assert.Equal(3, (int)il[22].Operand); // slot numbers follow the request order
        Assert.Equal(ProbeCode.StackNeed, insertion.StackNeed);
    }

    [Fact]
    public void Struct_this_is_dereferenced_with_ldobj_of_the_declaring_type()
    {
        var method = Sample(nameof(SampleMethods.Switch));
        var tokens = new CountingTokens();
        var ctx = ContextOf(method, declaringIsStruct: true) with { DeclaringTypeToken = 0x02000007 };
        var il = ILDecoder.Decode(ProbeCode.Build(new ProbeRequest(1, 0, [new(SlotKind.This, 0)]), ctx, tokens).Code);
        Assert.Equal([0x02, 0x71], il.Skip(3).Take(2).Select(i => (int)i.OpCode));
        Assert.Equal(ElementType.ValueType, tokens.TypeBlobs.Single()[0]);
        Assert.Equal(0x02000007, SignatureParser.TypeTokenOf(tokens.TypeBlobs.Single()));
    }

    [Fact]
    public void Generic_parameter_value_uses_a_method_spec_over_the_parameter_and_falls_back_to_box()
    {
        var method = Sample(nameof(SampleMethods.Generic));
        var ctx = ContextOf(method);
        var tokens = new CountingTokens();
        ProbeCode.Build(new ProbeRequest(1, 0, [new(SlotKind.Argument, 0)]), ctx, tokens);
        Assert.Equal([ElementType.MVar, 0], tokens.ValueBlobs.Single());

        var refusing = new CountingTokens { RefuseMethodSpecs = true };
        var il = ILDecoder.Decode(ProbeCode.Build(new ProbeRequest(1, 0, [new(SlotKind.Argument, 0)]), ctx, refusing).Code);
        Assert.Equal([0x02, 0x8C, 0x20, 0x28], il.Skip(3).Take(4).Select(i => (int)i.OpCode)); // ldarg.0 box ldc.i4 call
        Assert.Equal(refusing.ValueObject, il[6].Operand);
    }

    [Fact]
    public void Locals_beyond_three_use_ldloc_s_and_pointers_are_handed_over_as_native_integers()
    {
        var method = Sample(nameof(SampleMethods.Generic));
        var tokens = new CountingTokens();
        var ctx = ContextOf(method);
        var many = ctx with { Locals = Enumerable.Repeat(new SigType([ElementType.I4], false, false), 300).ToList() };
        var il = ILDecoder.Decode(ProbeCode.Build(new ProbeRequest(1, 0, [new(SlotKind.Local, 5), new(SlotKind.Local, 299), new(SlotKind.Argument, 2)]), many, tokens).Code);
        Assert.Equal(0x11, il[3].OpCode);
        Assert.Equal(5, il[3].Operand);
        Assert.Equal(0xFE0C, il[6].OpCode);
        Assert.Equal(299, il[6].Operand);
        Assert.Equal([ElementType.U], tokens.ValueBlobs[^1]);
    }

    [Theory]
    [InlineData(0, 0, "static method has no 'this'")]
    [InlineData(1, 4, "argument 4 does not exist")]
    [InlineData(2, 99, "local 99 does not exist")]
    public void Slots_that_do_not_exist_are_refused_with_a_reason(int kindNumber, int index, string reason)
    {
        var kind = (SlotKind)kindNumber;
        var ctx = ContextOf(Sample(nameof(SampleMethods.Generic)));
        var e = Assert.Throws<InvalidILException>(() => ProbeCode.Build(new ProbeRequest(1, 0, [new(kind, index)]), ctx, new CountingTokens()));
        Assert.Contains(reason, e.Message);
    }
}
