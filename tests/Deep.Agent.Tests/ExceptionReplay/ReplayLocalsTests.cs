using System.Diagnostics;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Runtime.CompilerServices;
using Deep.Abi;
using Deep.Agent.ExceptionReplay;
using Deep.Agent.Instrumentation;
using Deep.Agent.Native;
using Deep.Agent.Probes;
using Deep.Agent.Symbols;
using Deep.Protocol;

namespace Deep.Agent.Tests.ExceptionReplay;

// The locals of an Exception Replay frame: the hook hands over every local the PDB names (all scopes), and the
// snapshot shows those in scope where the exception passed, under the names they have there. The profiler cannot run
// in this process: the hook's values are given as the rewritten IL would hand them over.
public sealed class ReplayLocalsTests : IDisposable
{
    private static readonly MethodInfo SubjectMethod = typeof(ReplayLocalsTests).GetMethod(nameof(Subject), BindingFlags.NonPublic | BindingFlags.Static)!;
    private readonly AssemblySymbols _symbols = new(typeof(ReplayLocalsTests).Assembly);
    private readonly SymbolIndex _index = new();
    private readonly Recorder _recorder = new();
    private readonly ProfilerEngine _engine;

    public ReplayLocalsTests()
    {
        _index.Add(typeof(ReplayLocalsTests).Assembly);
        _engine = new ProfilerEngine(_index, _recorder, ProbeRuntime.Table, new ProbeStatusRegistry());
    }

    public void Dispose()
    {
        _engine.Dispose();
        _index.Dispose();
        _symbols.Dispose();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Subject(int input)
    {
        var before = input * 2;
        {
            var early = before + 1; // its scope ends before the throw
            before += early % 2;
        }
        if (input > 0)
        {
            var inner = before + 3;
            Fail(inner);
            return inner;
        }
        {
            var late = input - 1; // its scope starts after the throw
            return late;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(int value) => throw new InvalidOperationException($"failed with {value}");

    private MetadataReader Pdb => _symbols.Reader ?? throw new InvalidOperationException("the test assembly has no PDB");

    private static MethodDefinitionHandle Handle => MetadataTokens.MethodDefinitionHandle(SubjectMethod.MetadataToken);

    private static (Exception Exception, int ILOffset) Thrown()
    {
        try
        {
            Subject(5);
        }
        catch (InvalidOperationException e)
        {
            var frame = new StackTrace(e).GetFrames().First(f => f.GetMethod() == SubjectMethod);
            return (e, frame.GetILOffset());
        }
        throw new InvalidOperationException("Subject did not throw");
    }

    private IReadOnlyList<(int Position, ProbeSlot Shown)>? InScope(MethodBase method, int ilOffset) =>
        FrameLayoutBuilder.InScope(method, Pdb, MetadataTokens.MethodDefinitionHandle(method.MetadataToken), ilOffset);

    [Fact]
    public void The_hook_takes_every_named_local_of_every_scope_each_slot_once()
    {
        var all = FrameLayoutBuilder.BuildAllScopes(SubjectMethod, Pdb, Handle).Values;
        Assert.Equal(["input", "before", "early", "inner", "late"], all.Select(v => v.Slot.Name));
        var locals = all.Where(v => v.Slot.Kind == SlotKind.Local).Select(v => v.Index).ToList();
        Assert.Equal(locals.Distinct().Count(), locals.Count);
    }

    [Fact]
    public void Where_the_exception_passed_only_the_locals_in_scope_there_are_shown()
    {
        var (_, ilOffset) = Thrown();
        var all = FrameLayoutBuilder.BuildAllScopes(SubjectMethod, Pdb, Handle).Values;
        var shown = FrameLayoutBuilder.InScope(SubjectMethod, Pdb, Handle, ilOffset);
        Assert.Equal(["input", "before", "inner"], shown.Select(s => s.Shown.Name));
        Assert.All(shown, s => Assert.Equal(all[s.Position].Slot.Name, s.Shown.Name));
    }

    [Fact]
    public void The_snapshot_shows_each_value_in_scope_as_captured_and_nothing_out_of_scope()
    {
        var (exception, _) = Thrown();
        var layout = FrameLayoutBuilder.BuildAllScopes(SubjectMethod, Pdb, Handle).Values;
        // As the exit probe handed them over when the exception left Subject(5): before 11, early 11, inner 14, late never set.
        var byName = new Dictionary<string, object?> { ["input"] = 5, ["before"] = 11, ["early"] = 11, ["inner"] = 14, ["late"] = 0 };
        var values = layout.Select((v, i) => new CapturedValue(i, v.Slot, byName[v.Slot.Name])).ToList();
        var capture = new FrameCapture(SubjectMethod, "ReplayLocalsTests.cs", 1, values, InScope);
        var escape = new Escape(exception, "f", [new AppFrame(SubjectMethod, 0)], 1, "t", 1, null, null);

        var snapshot = ReplaySnapshot.Build(Collected.Context(new Collected()), escape, [capture], 1);

        var frame = snapshot.Frames.Single(f => f.MethodName == nameof(Subject));
        Assert.True(frame.AppFrame);
        Assert.Equal(["input", "before", "inner"], frame.Variables.Select(v => v.Name));
        Assert.Equal(["5", "11", "14"], frame.Variables.Select(v => snapshot.VarLookup[v.ID].Value));
    }

    [Fact]
    public void A_slot_two_scopes_share_is_named_by_the_scope_where_the_exception_passed()
    {
        // Two locals of scopes that do not overlap may share one slot: the hook's layout names it after the first, the
        // scope at the frame's offset after the one it holds there.
        var first = new ProbeSlot("discount", typeof(int), SlotKind.Local);
        var there = new ProbeSlot("total", typeof(int), SlotKind.Local);
        var capture = new FrameCapture(SubjectMethod, "f.cs", 1, [new CapturedValue(0, first, 42)], (_, _) => [(0, there)]);

        var shown = ReplaySnapshot.Shown(capture, 10);

        var (slot, value) = Assert.Single(shown);
        Assert.Equal("total", slot.Name);
        Assert.Equal(42, value);
    }

    [Fact]
    public void Without_scopes_a_frame_shows_this_and_its_arguments_only()
    {
        var values = new[]
        {
            new CapturedValue(0, new ProbeSlot("this", typeof(object), SlotKind.This), "me"),
            new CapturedValue(1, new ProbeSlot("input", typeof(int), SlotKind.Argument), 5),
            new CapturedValue(2, new ProbeSlot("before", typeof(int), SlotKind.Local), 11),
        };
        Assert.Equal(["this", "input"], ReplaySnapshot.Shown(new FrameCapture(SubjectMethod, "f.cs", 1, values, (_, _) => null), 3).Select(s => s.Item1.Name));
        Assert.Equal(["this", "input"], ReplaySnapshot.Shown(new FrameCapture(SubjectMethod, "f.cs", 1, values), 3).Select(s => s.Item1.Name));
    }

    [Fact]
    public async Task The_engine_installs_an_exception_only_exit_probe_with_every_local_and_no_return_or_duration()
    {
        var (method, insertions) = await HookAsync(nameof(Subject));
        Assert.Equal(SubjectMethod, method);
        var probe = Assert.Single(insertions, i => i.Kind == InsertionKind.ExitOnException);
        var all = FrameLayoutBuilder.BuildAllScopes(SubjectMethod, Pdb, Handle).Values;
        Assert.Equal(all.Select(v => new SlotSource(v.Slot.Kind, v.Index)).Append(new SlotSource(SlotKind.Exception, 0)), probe.Slots);
        Assert.Contains(insertions, i => i.Kind == InsertionKind.FrameHooks);
    }

    // What the engine asks the profiler for when Exception Replay hooks the method (then removes the hook).
    private async Task<(MethodBase Method, IReadOnlyList<ProbeInsertion> Insertions)> HookAsync(string methodName)
    {
        var id = ProbeRuntime.Table.AllocateProbeId();
        _engine.Install(new ProbeLocation(id, "ExceptionReplay/ReplayLocalsTests.cs", 0, methodName, typeof(ReplayLocalsTests).FullName, TracepointStage.MethodCapture)
            { ExceptionFrame = true });
        await _engine.WhenIdleAsync();
        var call = Assert.Single(_recorder.Calls);
        _engine.Remove(id);
        await _engine.WhenIdleAsync();
        return call;
    }

    private static async Task<int> SubjectAsync(int input)
    {
        var hoisted = input * 3;
        await Task.Yield();
        Fail(hoisted);
        return hoisted;
    }

    [Fact]
    public async Task An_async_method_is_hooked_in_its_MoveNext_catch_after_the_exception_is_stored()
    {
        var (method, insertions) = await HookAsync(nameof(SubjectAsync));
        Assert.Equal("MoveNext", method.Name);
        var probe = Assert.Single(insertions);
        Assert.Equal(InsertionKind.Probe, probe.Kind);
        var body = method.GetMethodBody()!;
        var handler = body.ExceptionHandlingClauses.Single(c => c.Flags == ExceptionHandlingClauseOptions.Clause && c.CatchType == typeof(Exception) && c.TryLength == body.ExceptionHandlingClauses.Max(x => x.TryLength));
        var il = body.GetILAsByteArray()!;
        Assert.InRange(il[handler.HandlerOffset], (byte)0x0A, (byte)0x13); // a stloc form
        Assert.InRange(probe.ILOffset, handler.HandlerOffset + 1, handler.HandlerOffset + 4);
        Assert.Equal(SlotKind.This, probe.Slots[0].Kind);
        Assert.Equal(SlotKind.Local, probe.Slots[^1].Kind); // the caught exception

        // Where the exception passed in MoveNext, the state machine shows the hoisted local and the argument.
        var moveNextFrame = await FrameOf(SubjectAsync(2));
        var shown = _engine.InScope(moveNextFrame.GetMethod()!, moveNextFrame.GetILOffset())!;
        var fields = Assert.Single(shown, s => s.Shown.Kind == SlotKind.This).Shown.Fields!;
        Assert.Contains(fields, f => f.Name == "hoisted");
        Assert.Contains(fields, f => f.Name == "input");
    }

    private static async Task<System.Diagnostics.StackFrame> FrameOf(Task task)
    {
        try
        {
            await task;
        }
        catch (InvalidOperationException e)
        {
            return new StackTrace(e).GetFrames().First(f => f.GetMethod()?.DeclaringType?.Name.Contains(nameof(SubjectAsync), StringComparison.Ordinal) == true);
        }
        throw new InvalidOperationException("SubjectAsync did not throw");
    }

    private sealed class Machine : IAsyncStateMachine
    {
        public string? Hoisted = "kept";

        public void MoveNext()
        {
        }

        public void SetStateMachine(IAsyncStateMachine stateMachine)
        {
        }
    }

    [Fact]
    public void A_state_machine_class_is_copied_when_captured_so_its_catch_clearing_hoisted_locals_changes_nothing()
    {
        var field = typeof(Machine).GetField(nameof(Machine.Hoisted))!;
        var slots = new[]
        {
            new ProbeSlot(nameof(Machine), typeof(Machine), SlotKind.This, null, [new SlotField("hoisted", field)]),
            new ProbeSlot("exception", typeof(Exception), SlotKind.Exception),
        };
        var layout = new ProbeFrameLayout(slots, SubjectMethod, "f.cs", 1, 0, []);
        var machine = new Machine();
        var hit = new HitState();
        hit.Begin(1, layout, slots.Length);
        hit.StoreObject(machine, 0);
        hit.StoreObject(new InvalidOperationException(), 1);

        var values = CaptureStore.ValuesOf(layout, hit);
        machine.Hoisted = null; // what the compiler's catch does right after the hook

        var kept = Assert.IsType<Machine>(Assert.Single(values).Value);
        Assert.NotSame(machine, kept);
        Assert.Equal("kept", kept.Hoisted);
    }

    [Fact]
    public void Engine_scopes_answer_for_a_method_with_symbols()
    {
        var (_, ilOffset) = Thrown();
        Assert.Equal(["input", "before", "inner"], _engine.InScope(SubjectMethod, ilOffset)!.Select(s => s.Shown.Name));
        Assert.Null(_engine.InScope(typeof(string).GetMethod(nameof(string.Trim), Type.EmptyTypes)!, 0));
    }

    private sealed class Recorder : IMethodRewriter
    {
        public List<(MethodBase Method, IReadOnlyList<ProbeInsertion> Insertions)> Calls { get; } = [];

        public Task<MethodProbeResult> SetMethodProbesAsync(MethodBase method, IReadOnlyList<ProbeInsertion> probes)
        {
            lock (Calls)
            {
                if (probes.Count > 0) Calls.Add((method, probes.ToList()));
            }
            return Task.FromResult(new MethodProbeResult(true, null));
        }
    }
}
