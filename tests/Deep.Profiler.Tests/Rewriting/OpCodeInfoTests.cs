using System.Reflection;
using System.Reflection.Emit;
using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Tests.Rewriting;

public class OpCodeInfoTests
{
    private static IEnumerable<OpCode> AllReflectionOpCodes() =>
        typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!);

    [Fact]
    public void Every_opcode_the_runtime_defines_has_the_operand_kind_reflection_emit_gives_it()
    {
        int checkedCount = 0;
        foreach (var op in AllReflectionOpCodes())
        {
            ushort code = (ushort)op.Value;
            if (op.OpCodeType == OpCodeType.Nternal)
                continue; // prefix1..7 and prefixref are encoding artefacts, not instructions
            OperandKind expected = op.OperandType switch
            {
                OperandType.InlineNone => OperandKind.None,
                OperandType.ShortInlineVar => OperandKind.UInt8,
                OperandType.ShortInlineI => op.Value == OpCodes.Ldc_I4_S.Value ? OperandKind.Int8 : OperandKind.UInt8,
                OperandType.InlineVar => OperandKind.UInt16,
                OperandType.InlineI => OperandKind.Int32,
                OperandType.InlineI8 => OperandKind.Int64,
                OperandType.ShortInlineR => OperandKind.Float32,
                OperandType.InlineR => OperandKind.Float64,
                OperandType.ShortInlineBrTarget => OperandKind.ShortBranch,
                OperandType.InlineBrTarget => OperandKind.Branch,
                OperandType.InlineSwitch => OperandKind.Switch,
                OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok
                    or OperandType.InlineString or OperandType.InlineSig => OperandKind.Token,
                _ => throw new InvalidOperationException($"unexpected operand type {op.OperandType} of {op.Name}"),
            };
            Assert.True(OpCodeInfo.GetOperandKind(code) == expected, $"{op.Name} (0x{code:X4}): expected {expected}, got {OpCodeInfo.GetOperandKind(code)}");
            checkedCount++;
        }
        Assert.True(checkedCount > 200, $"only {checkedCount} opcodes were checked");
    }

    [Fact]
    public void Opcodes_that_reflection_emit_does_not_define_are_undefined()
    {
        var defined = AllReflectionOpCodes().Where(o => o.OpCodeType != OpCodeType.Nternal).Select(o => (ushort)o.Value).ToHashSet();
        defined.Add(0xFE19); // `no.` (ECMA-335 III.2.2) has no Reflection.Emit field but is a defined prefix
        for (int b = 0; b < 256; b++)
        {
            if (b == 0xFE)
                continue;
            Assert.True(defined.Contains((ushort)b) == OpCodeInfo.GetOperandKind((ushort)b).HasValue, $"0x{b:X2}");
            ushort two = (ushort)(0xFE00 | b);
            Assert.True(defined.Contains(two) == OpCodeInfo.GetOperandKind(two).HasValue, $"0x{two:X4}");
        }
    }

    [Fact]
    public void Long_form_of_each_short_branch_is_the_matching_long_branch()
    {
        var byValue = AllReflectionOpCodes().ToDictionary(o => (ushort)o.Value, o => o.Name!);
        foreach (var op in AllReflectionOpCodes().Where(o => o.OperandType == OperandType.ShortInlineBrTarget))
        {
            string longName = byValue[OpCodeInfo.LongFormOf((ushort)op.Value)];
            Assert.Equal(op.Name![..^2], longName);
        }
    }
}
