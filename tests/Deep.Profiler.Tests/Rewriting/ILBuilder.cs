using System.Buffers.Binary;

namespace Deep.Profiler.Tests.Rewriting;

/// <summary>Writes IL by hand for tests, with labels for branch targets.</summary>
internal sealed class ILBuilder
{
    private readonly List<byte> _code = [];
    private readonly Dictionary<string, int> _labels = [];
    private readonly List<(int At, int RelativeTo, string Label, int Size)> _fixups = [];

    public int Offset => _code.Count;

    public ILBuilder Op(params byte[] bytes)
    {
        _code.AddRange(bytes);
        return this;
    }

    public ILBuilder OpInt(byte opcode, int operand)
    {
        _code.Add(opcode);
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, operand);
        _code.AddRange(b);
        return this;
    }

    public ILBuilder Label(string name)
    {
        _labels[name] = _code.Count;
        return this;
    }

    public ILBuilder BranchShort(byte opcode, string label)
    {
        _code.Add(opcode);
        _fixups.Add((_code.Count, _code.Count + 1, label, 1));
        _code.Add(0);
        return this;
    }

    public ILBuilder Branch(byte opcode, string label)
    {
        _code.Add(opcode);
        _fixups.Add((_code.Count, _code.Count + 4, label, 4));
        _code.AddRange(new byte[4]);
        return this;
    }

    public ILBuilder Switch(params string[] labels)
    {
        _code.Add(0x45);
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, labels.Length);
        _code.AddRange(b);
        int end = _code.Count + labels.Length * 4;
        foreach (var l in labels)
        {
            _fixups.Add((_code.Count, end, l, 4));
            _code.AddRange(new byte[4]);
        }
        return this;
    }

    public ILBuilder Nops(int count)
    {
        for (int i = 0; i < count; i++)
            _code.Add(0x00);
        return this;
    }

    public int this[string label] => _labels[label];

    public byte[] ToArray()
    {
        var code = _code.ToArray();
        foreach (var (at, relativeTo, label, size) in _fixups)
        {
            int displacement = _labels[label] - relativeTo;
            if (size == 1)
                code[at] = unchecked((byte)checked((sbyte)displacement));
            else
                BinaryPrimitives.WriteInt32LittleEndian(code.AsSpan(at), displacement);
        }
        return code;
    }
}
