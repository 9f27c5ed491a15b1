using System.Reflection;
using System.Runtime.CompilerServices;

// Finds the agent the startup hook loaded, has it probe Mul, and prints what the probe runtime recorded:
//   hook: <setup> hits=<...> result=<...>
var agent = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "Deep.Agent");
if (agent is null)
{
    Console.WriteLine("hook: no Deep.Agent assembly was loaded by a startup hook");
    return 3;
}
var control = agent.GetType("Deep.Agent.Probes.TestControl")!;
if (control.GetProperty("NotLoadedReason")!.GetValue(null) is string reason)
{
    Console.WriteLine("hook: not-loaded: " + reason);
    return 3;
}
var mul = typeof(Calculator).GetMethod(nameof(Calculator.Mul))!;
var setup = (string)control.GetMethod("ProbeArguments")!.Invoke(null, [mul, 30, 2])!;
int result = Calculator.Mul(6, 7);
var hits = (List<string>)agent.GetType("Deep.Agent.Probes.ProbeRuntime")!.GetMethod("Drain")!.Invoke(null, null)!;
Console.WriteLine($"hook: {setup} hits={string.Join(";", hits)} result={result}");
return 0;

internal static class Calculator
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Mul(int a, int b) => a * b;
}
