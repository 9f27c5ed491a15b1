using System.Reflection;
using Deep.Abi;
using Deep.Agent.Instrumentation;
using Deep.Agent.Native;
using Deep.Agent.Probes;
using Deep.Profiler.Rewriting;
using ProbeTarget;

// Probes its own methods through the real ProfilerBridge and prints one line per scenario:
//   <name>: hits=<probe|slot:Type=value,...;...> result=<what the method returned>
// The profiler's end-to-end test compares these lines with values written out by hand.

if (!ProfilerBridge.IsLoaded)
{
    Console.WriteLine("not-loaded: " + ProfilerBridge.NotLoadedReason);
    return 3;
}

var t = typeof(Targets);
MethodInfo Method(string name) => t.GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
List<Instruction> Decode(MethodBase m) => ILDecoder.Decode(m.GetMethodBody()!.GetILAsByteArray());
int LastRet(MethodBase m) => Decode(m).Last(i => i.OpCode == 0x2A).Offset;
SlotSource Arg(int i) => new(SlotKind.Argument, i);
SlotSource Loc(int i) => new(SlotKind.Local, i);

string Probe(MethodBase method, params ProbeInsertion[] probes)
{
    var result = ProfilerBridge.SetMethodProbesAsync(method, probes).GetAwaiter().GetResult();
    return result.Success ? "ok" : "error: " + result.Error;
}

void Report(string name, string setup, object? result)
{
    var hits = ProbeRuntime.Drain();
    Console.WriteLine(setup == "ok" ? $"{name}: hits={string.Join(";", hits)} result={result}" : $"{name}: {setup}");
}

// Arguments of a static method.
var add = Method(nameof(Targets.Add));
var setup = Probe(add, new ProbeInsertion(1, 0, [Arg(0), Arg(1)]));
Report("add", setup, Targets.Add(2, 3));
Console.WriteLine($"add-status: {ProfilerBridge.GetMethodStatus(add).State}");

// The skip branch: Enter answers false, nothing is captured, the method still works.
ProbeRuntime.Disabled[1] = true;
Report("disabled", "ok", Targets.Add(1, 1));
ProbeRuntime.Disabled.Clear();

// Replacing a method's probe set.
setup = Probe(add, new ProbeInsertion(20, 0, [Arg(1)]));
Report("replaced", setup, Targets.Add(6, 7));

// Removing: the original code comes back.
setup = Probe(add);
Report("removed", setup, Targets.Add(4, 5));
Console.WriteLine($"removed-status: {ProfilerBridge.GetMethodStatus(add).State}");

// `this`, a reference argument and a local, at the method's return.
var greet = typeof(Greeter).GetMethod(nameof(Greeter.Greet))!;
setup = Probe(greet, new ProbeInsertion(2, LastRet(greet), [new SlotSource(SlotKind.This, 0), Arg(1), Loc(0)]));
Report("greet", setup, new Greeter("Hi ").Greet("Ada"));

// ref and out arguments are dereferenced.
var bump = Method(nameof(Targets.Bump));
setup = Probe(bump, new ProbeInsertion(3, LastRet(bump), [Arg(0), Arg(1)]));
int counter = 41;
Targets.Bump(ref counter, out _);
Report("bump", setup, counter);

// A struct's `this`.
var sum = typeof(Point).GetMethod(nameof(Point.Sum))!;
setup = Probe(sum, new ProbeInsertion(4, 0, [new SlotSource(SlotKind.This, 0)]));
Report("point", setup, new Point(1, 2).Sum());

// A generic method, instantiated over a value type and a reference type.
var echo = Method(nameof(Targets.Echo));
setup = Probe(echo, new ProbeInsertion(5, 0, [Arg(0)]));
Report("echo", setup, Targets.Echo(7) + Targets.Echo("x"));

// A generic method has a compiled copy per value-type instantiation and one shared by reference types; the method
// counts as active only once every compiled copy runs the new code (here: once Twin<string> is called again).
var twin = Method(nameof(Targets.Twin));
Targets.Twin(1);
Targets.Twin("a");
setup = Probe(twin, new ProbeInsertion(26, 0, [Arg(0)]));
Targets.Twin(2);
var onlyInt = ProfilerBridge.GetMethodStatus(twin);
Targets.Twin("b");
Report("twin", setup, onlyInt.State + " (" + onlyInt.Message + ")|" + ProfilerBridge.GetMethodStatus(twin).State);

// A loop: the back-edge lands on the probe, which fires on every iteration.
var loop = Method(nameof(Targets.Loop));
var backEdge = Decode(loop).Last(i => i.IsBranch && i.Targets[0] < i.Offset);
setup = Probe(loop, new ProbeInsertion(6, backEdge.Targets[0], [Loc(1), Loc(0)]));
Report("loop", setup, Targets.Loop(4));

// try / catch / finally: probes at the first instruction of the try, the catch and the finally.
var guarded = Method(nameof(Targets.Guarded));
var clauses = guarded.GetMethodBody()!.ExceptionHandlingClauses;
var catchClause = clauses.Single(c => c.Flags == ExceptionHandlingClauseOptions.Clause);
var finallyClause = clauses.Single(c => c.Flags == ExceptionHandlingClauseOptions.Finally);
setup = Probe(guarded,
    new ProbeInsertion(7, catchClause.TryOffset, [Loc(0)]),
    new ProbeInsertion(8, catchClause.HandlerOffset, [Loc(0)]),
    new ProbeInsertion(9, finallyClause.HandlerOffset, [Loc(0)]));
Report("guarded", setup, Targets.Guarded("x"));

// switch: a probe at one case's target.
var pick = Method(nameof(Targets.Pick));
var sw = Decode(pick).Single(i => i.OpCode == 0x45);
setup = Probe(pick, new ProbeInsertion(10, sw.Targets[2], [Arg(0)]));
Report("pick", setup, Targets.Pick(1) + "," + Targets.Pick(2));

// A method the JIT inlined into an optimised caller before it was probed.
for (int i = 0; i < 5; i++)
    Targets.SumTwice(1000);
var twice = Method(nameof(Targets.Twice));
setup = Probe(twice, new ProbeInsertion(11, 0, [Arg(0)]));
Report("inlined", setup, Targets.SumTwice(3));

// A method called through a compiled expression (a DynamicMethod) that ran before the method was probed.
var thrice = Method(nameof(Targets.Thrice));
var x = System.Linq.Expressions.Expression.Parameter(typeof(int), "x");
var viaLambda = System.Linq.Expressions.Expression.Lambda<Func<int, int>>(System.Linq.Expressions.Expression.Call(thrice, x), x).Compile();
for (int i = 0; i < 5; i++)
    viaLambda(i);
setup = Probe(thrice, new ProbeInsertion(50, 0, [Arg(0)]));
Report("via-lambda", setup, viaLambda(4) + viaLambda(5));

// Ten threads hitting one probe.
var shared = Method(nameof(Targets.Shared));
setup = Probe(shared, new ProbeInsertion(12, 0, [Arg(0)]));
var threads = Enumerable.Range(0, 10).Select(_ => new Thread(() =>
{
    for (int i = 0; i < 1000; i++)
        Targets.Shared(i);
})).ToList();
threads.ForEach(th => th.Start());
threads.ForEach(th => th.Join());
var sharedHits = ProbeRuntime.Drain();
Console.WriteLine($"threads: {(setup == "ok" ? $"count={sharedHits.Count} sum={sharedHits.Sum(h => int.Parse(h[(h.IndexOf('=') + 1)..]))}" : setup)}");

// Bad requests are refused with a reason, and the method keeps working.
setup = Probe(add, new ProbeInsertion(13, 9999, [Arg(0)]));
Report("bad-offset", setup, Targets.Add(1, 2));
setup = Probe(add, new ProbeInsertion(14, 0, [Loc(7)]));
Report("bad-local", setup, Targets.Add(1, 2));
// A ref local that is null where the probe runs is skipped, not dereferenced; once set, it is captured.
var firstOr = Method(nameof(Targets.FirstOrMinusOne));
setup = Probe(firstOr, new ProbeInsertion(16, 0, [Loc(0), Arg(0)]), new ProbeInsertion(17, LastRet(firstOr), [Loc(0)]));
Report("null-ref-local", setup, Targets.FirstOrMinusOne([5]) + "," + Targets.FirstOrMinusOne([]));

// A byref-like local cannot be a generic argument: the runtime refuses the body; the method must keep working.
var spanLength = Method(nameof(Targets.SpanLength));
setup = Probe(spanLength, new ProbeInsertion(15, LastRet(spanLength), [Loc(0)]));
string spanResult;
try
{
    spanResult = Targets.SpanLength(3).ToString();
}
catch (Exception e)
{
    spanResult = "threw " + e.GetType().Name;
}
Report("byref-like", setup, spanResult);
Console.WriteLine($"byref-like-result: {spanResult}");

// line_capture: `Captured = Thrower(Captured);` from its ldsfld to after its stsfld, wrapped in try/filter.
var captureLine = Method(nameof(Targets.CaptureLine));
var thrower = Method(nameof(Targets.Thrower));
var captureIL = Decode(captureLine);
int callAt = captureIL.FindIndex(i => i.OpCode == 0x28 && captureLine.Module.ResolveMethod((int)i.Operand) == thrower);
int lineStart = captureIL[callAt - 1].Offset;            // ldsfld Captured
int lineEnd = captureIL[callAt + 2].Offset;              // after stsfld Captured
SlotSource[] outcome = [Arg(0), new(SlotKind.Exception, 0), new(SlotKind.Duration, 0)];
string Captures(int x)
{
    try
    {
        return Targets.CaptureLine(x).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
    catch (InvalidOperationException e)
    {
        return $"threw {e.Message} top={new System.Diagnostics.StackTrace(e).GetFrame(0)?.GetMethod()?.Name}";
    }
}
setup = Probe(captureLine, new ProbeInsertion(40, lineStart, outcome, InsertionKind.LineCapture, lineEnd));
Report("line-capture", setup, Captures(2) + "," + Captures(9));
ProbeRuntime.Disabled[40] = true;
Report("line-capture-disabled", "ok", Captures(2) + "," + Captures(9));
ProbeRuntime.Disabled.TryRemove(40, out _);
// Starting at the call itself: the argument is already on the stack there.
setup = Probe(captureLine, new ProbeInsertion(41, captureIL[callAt].Offset, outcome, InsertionKind.LineCapture, lineEnd));
Report("line-capture-refused", setup, Captures(2));
Console.WriteLine("done");
return 0;
