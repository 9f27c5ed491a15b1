using System.Reflection;
using Deep.Profiler.Rewriting;
using MethodBody = Deep.Profiler.Rewriting.MethodBody;

namespace Deep.Profiler.Tests.Rewriting;

/// <summary>The rewriter on bodies the C# compiler produced, read back through reflection.</summary>
public class RealBodyTests
{
    public static TheoryData<string> Methods() =>
        new(typeof(SampleMethods).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.DeclaringType == typeof(SampleMethods)).Select(m => m.Name));

    internal static MethodBody BodyOf(MethodBase method)
    {
        var body = method.GetMethodBody()!;
        var clauses = body.ExceptionHandlingClauses.Select(c => new ExceptionClause(
            (ExceptionClauseKind)(int)c.Flags, c.TryOffset, c.TryLength, c.HandlerOffset, c.HandlerLength,
            c.Flags == ExceptionHandlingClauseOptions.Filter ? c.FilterOffset
            : c.Flags == ExceptionHandlingClauseOptions.Clause ? c.CatchType!.MetadataToken : 0)).ToList();
        return new MethodBody(body.GetILAsByteArray()!, body.MaxStackSize, body.LocalSignatureMetadataToken, body.InitLocals, clauses);
    }

    private static MethodInfo Method(string name) => typeof(SampleMethods).GetMethod(name)!;

    [Theory]
    [MemberData(nameof(Methods))]
    public void Compiled_body_survives_encode_and_parse(string name)
    {
        var body = BodyOf(Method(name));
        var back = MethodBody.Parse(body.Encode());
        Assert.Equal(body.Code, back.Code);
        Assert.Equal(body.Clauses, back.Clauses);
        Assert.Equal(body.MaxStack, back.MaxStack);
        Assert.Equal(body.LocalVarSigToken, back.LocalVarSigToken);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Probe_before_every_instruction_keeps_every_instruction_branch_and_clause_consistent(string name) =>
        CheckRewrite(BodyOf(Method(name)), every: 1);

    [Theory]
    [MemberData(nameof(Methods))]
    public void Probe_before_every_third_instruction_keeps_everything_consistent(string name) =>
        CheckRewrite(BodyOf(Method(name)), every: 3);

    [Fact]
    public void Sample_bodies_cover_catch_filter_and_finally_clauses()
    {
        var kinds = typeof(SampleMethods).GetMethods().Where(m => m.DeclaringType == typeof(SampleMethods)).SelectMany(m => BodyOf(m).Clauses).Select(c => c.Kind).ToHashSet();
        Assert.Superset(new HashSet<ExceptionClauseKind> { ExceptionClauseKind.Catch, ExceptionClauseKind.Filter, ExceptionClauseKind.Finally }, kinds);
    }

    private static void CheckRewrite(MethodBody original, int every)
    {
        var instructions = ILDecoder.Decode(original.Code);
        var insertions = new List<ILInsertion>();
        for (int i = 0; i < instructions.Count; i += every)
        {
            if (i > 0 && OpCodeInfo.IsPrefix(instructions[i - 1].OpCode))
                continue;
            // ldc.i4 <offset>; pop: a marker that names the offset it was inserted at.
            var offset = instructions[i].Offset;
            insertions.Add(new ILInsertion(offset, [0x20, (byte)offset, (byte)(offset >> 8), 0, 0, 0x26], 1));
        }

        var result = ILRewriter.Rewrite(original, insertions);
        var rewritten = MethodBody.Parse(result.Body.Encode());
        var newInstructions = ILDecoder.Decode(rewritten.Code).ToDictionary(i => i.Offset);
        Assert.Equal(original.MaxStack + 1, rewritten.MaxStack);

        int Map(int target) => result.InsertionOffsets.TryGetValue(target, out int at) ? at : result.NewOffsets[target];

        foreach (var ins in insertions)
        {
            int at = result.InsertionOffsets[ins.ILOffset];
            Assert.Equal(ins.Code, rewritten.Code.AsSpan(at, ins.Code.Length).ToArray());
            Assert.Equal(at + ins.Code.Length, result.NewOffsets[ins.ILOffset]);
        }

        foreach (var old in instructions)
        {
            Assert.True(newInstructions.TryGetValue(result.NewOffsets[old.Offset], out var now), $"IL_{old.Offset:X4} is not at a new instruction boundary");
            if (old.IsBranch)
            {
                Assert.True(now.OpCode == old.OpCode || now.OpCode == OpCodeInfo.LongFormOf(old.OpCode), $"IL_{old.Offset:X4}: 0x{old.OpCode:X} became 0x{now.OpCode:X}");
                Assert.Equal(old.Targets.Select(Map), now.Targets);
            }
            else
            {
                Assert.Equal(original.Code.AsSpan(old.Offset, old.Size).ToArray(), rewritten.Code.AsSpan(now.Offset, now.Size).ToArray());
            }
        }

        Assert.Equal(original.Clauses.Count, rewritten.Clauses.Count);
        for (int i = 0; i < original.Clauses.Count; i++)
        {
            var o = original.Clauses[i];
            var n = rewritten.Clauses[i];
            Assert.Equal(o.Kind, n.Kind);
            Assert.Equal(Map(o.TryOffset), n.TryOffset);
            Assert.Equal(Map(o.TryOffset + o.TryLength), n.TryOffset + n.TryLength);
            Assert.Equal(Map(o.HandlerOffset), n.HandlerOffset);
            Assert.Equal(Map(o.HandlerOffset + o.HandlerLength), n.HandlerOffset + n.HandlerLength);
            Assert.Equal(o.Kind == ExceptionClauseKind.Filter ? Map(o.ClassTokenOrFilterOffset) : o.ClassTokenOrFilterOffset, n.ClassTokenOrFilterOffset);
        }
    }
}
