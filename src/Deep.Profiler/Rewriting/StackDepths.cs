namespace Deep.Profiler.Rewriting;

/// <summary>The method signatures behind call sites, for the stack effect of <c>call</c>, <c>callvirt</c>, <c>newobj</c>, <c>calli</c>.</summary>
internal interface ICallSignatures
{
    /// <summary>
    /// The <c>MethodDefSig</c>/<c>MethodRefSig</c> blob of a MethodDef, MemberRef or MethodSpec token (a MethodSpec
    /// answers its method's signature), or the StandAloneSig of a <c>calli</c>; null when it cannot be read.
    /// </summary>
    byte[]? SignatureOf(int token);
}

/// <summary>
/// The evaluation stack depth before each instruction of a method (ECMA-335 III.1.7.5: the depth at an instruction
/// is the same on every path to it), from the method's entry and each handler's and filter's start.
/// </summary>
internal static class StackDepths
{
    /// <summary>Depth before instruction i (index in <paramref name="instructions"/>), or -1 when no path reaches it.</summary>
    public static int[] Compute(IReadOnlyList<Instruction> instructions, IReadOnlyList<ExceptionClause> clauses, ICallSignatures calls)
    {
        var indexOf = new Dictionary<int, int>(instructions.Count);
        for (int i = 0; i < instructions.Count; i++)
            indexOf[instructions[i].Offset] = i;
        var depth = new int[instructions.Count];
        Array.Fill(depth, -1);
        var work = new Stack<int>();

        void Reach(int offset, int d)
        {
            if (!indexOf.TryGetValue(offset, out int i))
                return; // the code end (a fall-through past the last instruction): not ours to judge
            if (depth[i] < 0)
            {
                depth[i] = d;
                work.Push(i);
            }
            else if (depth[i] != d)
            {
                throw new InvalidILException($"the evaluation stack at IL_{offset:X4} is {depth[i]} deep on one path and {d} on another");
            }
        }

        Reach(0, 0);
        foreach (var c in clauses)
        {
            Reach(c.HandlerOffset, c.Kind is ExceptionClauseKind.Catch or ExceptionClauseKind.Filter ? 1 : 0);
            if (c.Kind == ExceptionClauseKind.Filter)
                Reach(c.ClassTokenOrFilterOffset, 1);
        }

        while (work.Count > 0)
        {
            int i = work.Pop();
            var instr = instructions[i];
            var (pops, pushes) = Effect(instr, calls);
            int after = depth[i] - pops;
            if (after < 0)
                throw new InvalidILException($"IL_{instr.Offset:X4} pops {pops} values from a stack {depth[i]} deep");
            after += pushes;
            int next = instr.Offset + instr.Size;
            switch (instr.OpCode)
            {
                case 0xDD or 0xDE:                          // leave, leave.s: the stack is emptied
                    Reach(instr.Targets[0], 0);
                    continue;
                case 0x2B or 0x38:                          // br.s, br
                    Reach(instr.Targets[0], after);
                    continue;
                case 0x2A or 0x7A or 0xDC or 0x27 or 0xFE11 or 0xFE1A: // ret, throw, endfinally, jmp, endfilter, rethrow
                    continue;
            }
            foreach (int target in instr.Targets)
                Reach(target, after);
            Reach(next, after);
        }
        return depth;
    }

    /// <summary>How many values an instruction pops and pushes.</summary>
    public static (int Pops, int Pushes) Effect(Instruction instr, ICallSignatures calls)
    {
        ushort op = instr.OpCode;
        switch (op)
        {
            case 0x28 or 0x6F or 0x73 or 0x29:              // call, callvirt, newobj, calli
                return CallEffect(instr, calls);
            case 0x2A:                                      // ret: ends the method, whatever is left
                return (0, 0);
        }
        if (op > 0xFF)
            return (op & 0xFF) switch
            {
                0x00 or 0x06 or 0x09 or 0x0A or 0x0C or 0x0D or 0x1C => (0, 1), // arglist ldftn ldarg ldarga ldloc ldloca sizeof
                0x01 or 0x02 or 0x03 or 0x04 or 0x05 => (2, 1),                // ceq cgt cgt.un clt clt.un
                0x07 or 0x0F or 0x1D => (1, 1),                                 // ldvirtftn localloc refanytype
                0x0B or 0x0E or 0x11 or 0x15 => (1, 0),                         // starg stloc endfilter initobj
                0x17 or 0x18 => (3, 0),                                         // cpblk initblk
                _ => (0, 0),                                                    // prefixes, rethrow
            };
        return op switch
        {
            <= 0x01 => (0, 0),                                  // nop break
            <= 0x09 => (0, 1),                                  // ldarg.0-3 ldloc.0-3
            <= 0x0D => (1, 0),                                  // stloc.0-3
            0x0E or 0x0F or 0x11 or 0x12 => (0, 1),             // ldarg.s ldarga.s ldloc.s ldloca.s
            0x10 or 0x13 => (1, 0),                             // starg.s stloc.s
            >= 0x14 and <= 0x23 => (0, 1),                      // ldnull ldc.*
            0x25 => (1, 2),                                     // dup
            0x26 => (1, 0),                                     // pop
            0x27 or 0x2B or 0x38 => (0, 0),                     // jmp br.s br
            0x2C or 0x2D or 0x39 or 0x3A or 0x45 => (1, 0),     // brfalse brtrue switch
            >= 0x2E and <= 0x37 => (2, 0),                      // beq.s .. blt.un.s
            >= 0x3B and <= 0x44 => (2, 0),                      // beq .. blt.un
            >= 0x46 and <= 0x50 => (1, 1),                      // ldind.*
            >= 0x51 and <= 0x57 => (2, 0),                      // stind.*
            >= 0x58 and <= 0x64 => (2, 1),                      // add .. shr.un
            >= 0x65 and <= 0x6E => (1, 1),                      // neg not conv.*
            0x70 => (2, 0),                                     // cpobj
            0x71 or 0x74 or 0x75 or 0x76 or 0x79 => (1, 1),     // ldobj castclass isinst conv.r.un unbox
            0x72 or 0x7E or 0x7F => (0, 1),                     // ldstr ldsfld ldsflda
            0x7A => (1, 0),                                     // throw
            0x7B or 0x7C => (1, 1),                             // ldfld ldflda
            0x7D or 0x81 => (2, 0),                             // stfld stobj
            0x80 => (1, 0),                                     // stsfld
            >= 0x82 and <= 0x8E => (1, 1),                      // conv.ovf.*.un box newarr ldlen
            0x8F => (2, 1),                                     // ldelema
            >= 0x90 and <= 0x9A => (2, 1),                      // ldelem.*
            >= 0x9B and <= 0xA2 => (3, 0),                      // stelem.*
            0xA3 => (2, 1),                                     // ldelem
            0xA4 => (3, 0),                                     // stelem
            0xA5 => (1, 1),                                     // unbox.any
            >= 0xB3 and <= 0xBA => (1, 1),                      // conv.ovf.*
            0xC2 or 0xC3 or 0xC6 => (1, 1),                     // refanyval ckfinite mkrefany
            0xD0 => (0, 1),                                     // ldtoken
            >= 0xD1 and <= 0xD5 => (1, 1),                      // conv.u2 conv.u1 conv.i conv.ovf.i conv.ovf.u
            >= 0xD6 and <= 0xDB => (2, 1),                      // add.ovf .. sub.ovf.un
            0xDC or 0xDD or 0xDE => (0, 0),                     // endfinally leave leave.s
            0xDF => (2, 0),                                     // stind.i
            0xE0 => (1, 1),                                     // conv.u
            _ => throw new InvalidILException($"IL_{instr.Offset:X4}: opcode 0x{op:X2} has no known stack effect"),
        };
    }

    private static (int Pops, int Pushes) CallEffect(Instruction instr, ICallSignatures calls)
    {
        int token = (int)instr.Operand;
        var blob = calls.SignatureOf(token);
        if (blob is null || blob.Length == 0)
            throw new InvalidILException($"IL_{instr.Offset:X4}: the signature of token 0x{token:X8} could not be read, so the evaluation stack cannot be followed");
        MethodSig sig;
        try
        {
            sig = SignatureParser.ParseMethod(blob); // a vararg call site: ParamCount counts the arguments after the sentinel too
        }
        catch (Exception e) when (e is InvalidILException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            throw new InvalidILException($"IL_{instr.Offset:X4}: the signature of token 0x{token:X8} could not be parsed ({e.Message})");
        }
        bool instance = sig.HasThis && !sig.ExplicitThis;
        int pushes = sig.ReturnType.Element == ElementType.Void && !sig.ReturnType.IsByRef ? 0 : 1;
        return instr.OpCode switch
        {
            0x73 => (sig.Parameters.Count, 1),                              // newobj: the arguments, then the new object
            0x29 => (sig.Parameters.Count + (instance ? 1 : 0) + 1, pushes), // calli: + the function pointer
            _ => (sig.Parameters.Count + (instance ? 1 : 0), pushes),
        };
    }
}
