using System.Reflection;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Deep.Abi;
using Deep.Agent;
using Deep.Agent.Actions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Settings;
using Deep.Agent.Triggers;
using Deep.Protocol;

namespace Deep.Benchmarks;

/// <summary>
/// The probe runtime's hot paths, each against the same method without a probe. The "probed" methods contain
/// exactly the calls the profiler inserts (probe-abi.md §1): Enter, one Value per captured value, Fire.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ProbeBenchmarks.ShortInProcess))]
public class ProbeBenchmarks
{
    /// <summary>
    /// The short job, run in-process: BenchmarkDotNet 0.14 has no Net10_0 moniker, and generating and building a
    /// separate benchmark project timed out (2 min) on the shared 2-core machine.
    /// </summary>
    public sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess() =>
            AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5)
                .WithToolchain(InProcessEmitToolchain.Instance).WithId("short-inprocess"));
    }

    private int _rateLimitedProbe;
    private int _conditionProbe;
    private int _delegateConditionProbe;
    private int _snapshotProbe;
    private TriggerHandler? _triggers;
    private Order _order = null!;
    private int _x = 7;
    private string _name = "widget";

    [GlobalSetup]
    public void Setup()
    {
        ProbeRuntime.Activate(new ProbeTable(new PerSecondCap(-1)));
        var settings = AgentSettings.FromEnvironment(new Dictionary<string, string?>());
        var context = new AgentContext(settings, ResourceDetector.Detect(settings), new DiscardSink(), [new DiscardSink()]);
        var engine = new LayoutEngine();
        _triggers = new TriggerHandler(context, ProbeRuntime.Table, engine);
        _triggers.Apply(
        [
            Tracepoint("rate-limited", 10, ("fire_count", "1")),
            Tracepoint("condition", 20, ("fire_count", "-1"), ("fire_period", "0"), ("condition", "x > 100")),
            Tracepoint("snapshot", 30, ("fire_count", "-1"), ("fire_period", "0"), ("stack_type", "no_stack")),
        ]);
        _rateLimitedProbe = _triggers.Probes.Single(p => p.Key.Line == 10).Value;
        _conditionProbe = _triggers.Probes.Single(p => p.Key.Line == 20).Value;
        _snapshotProbe = _triggers.Probes.Single(p => p.Key.Line == 30).Value;
        ProbedSmall(_x, _name, _rateLimitedProbe); // use up the single fire: every later hit is rate-limited out

        // The same condition as a hand-written delegate over the hit state: what the expression compiler aims for.
        _delegateConditionProbe = 900_000;
        var limiter = new RateLimiter(-1, 0, null, null);
        ProbeRuntime.Table.SetActions(_delegateConditionProbe, [new DelegateConditionAction(Tracepoint("delegate", 40), limiter, h => h.Get<int>(0) > 100)]);
        ProbeRuntime.Table.Bind(_delegateConditionProbe, LayoutEngine.SmallLayout);

        _order = Order.Sample();
    }

    [GlobalCleanup]
    public void Cleanup() => _triggers?.Clear();

    private static TracePointConfig Tracepoint(string id, uint line, params (string, string)[] args)
    {
        var tp = new TracePointConfig { ID = id, Path = "Bench.cs", LineNumber = line };
        foreach (var (k, v) in args) tp.Args[k] = v;
        return tp;
    }

    [Benchmark(Baseline = true, Description = "no probe")]
    public int NoProbe() => Plain(_x, _name);

    [Benchmark(Description = "rate-limited hit")]
    public int RateLimited() => ProbedSmall(_x, _name, _rateLimitedProbe);

    [Benchmark(Description = "condition false (x > 100, compiled)")]
    public int ConditionFalse() => ProbedSmall(_x, _name, _conditionProbe);

    [Benchmark(Description = "condition false (x > 100, C# delegate)")]
    public int ConditionFalseDelegate() => ProbedSmall(_x, _name, _delegateConditionProbe);

    [Benchmark(Description = "snapshot, 10 locals, depth 3")]
    public int Snapshot() => ProbedTenLocals(_order, _snapshotProbe);

    [Benchmark(Description = "10 locals, no probe")]
    public int TenLocalsNoProbe() => PlainTenLocals(_order);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Plain(int x, string name) => x + name.Length;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ProbedSmall(int x, string name, int probe)
    {
        if (ProbeRuntime.Enter(probe))
        {
            ProbeRuntime.Value(x, 0);
            ProbeRuntime.Value(name, 1);
            ProbeRuntime.Fire(probe);
        }
        return x + name.Length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int PlainTenLocals(Order order)
    {
        var (id, customer, lines, total, express, note, created, count, discount) = order.Locals();
        return id + customer.Name.Length + lines.Count + (int)total + (express ? 1 : 0) + note.Length + created.Day + count + (int)discount;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ProbedTenLocals(Order order, int probe)
    {
        var (id, customer, lines, total, express, note, created, count, discount) = order.Locals();
        if (ProbeRuntime.Enter(probe))
        {
            ProbeRuntime.Value(order, 0);
            ProbeRuntime.Value(id, 1);
            ProbeRuntime.Value(customer, 2);
            ProbeRuntime.Value(lines, 3);
            ProbeRuntime.Value(total, 4);
            ProbeRuntime.Value(express, 5);
            ProbeRuntime.Value(note, 6);
            ProbeRuntime.Value(created, 7);
            ProbeRuntime.Value(count, 8);
            ProbeRuntime.Value(discount, 9);
            ProbeRuntime.Fire(probe);
        }
        return id + customer.Name.Length + lines.Count + (int)total + (express ? 1 : 0) + note.Length + created.Day + count + (int)discount;
    }

    /// <summary>Binds the layouts the engine would resolve for the benchmark methods.</summary>
    private sealed class LayoutEngine : IInstrumentationEngine
    {
        private static readonly MethodBase s_small = typeof(ProbeBenchmarks).GetMethod(nameof(ProbedSmall), BindingFlags.NonPublic | BindingFlags.Static)!;
        private static readonly MethodBase s_ten = typeof(ProbeBenchmarks).GetMethod(nameof(ProbedTenLocals), BindingFlags.NonPublic | BindingFlags.Static)!;

        public static ProbeFrameLayout SmallLayout { get; } = new(
            [new ProbeSlot("x", typeof(int), SlotKind.Argument), new ProbeSlot("name", typeof(string), SlotKind.Argument)],
            s_small, "/bench/ProbeBenchmarks.cs", 20, 0, []);

        public static ProbeFrameLayout TenLayout { get; } = new(
            [
                new ProbeSlot("order", typeof(Order), SlotKind.Argument),
                new ProbeSlot("id", typeof(int), SlotKind.Local),
                new ProbeSlot("customer", typeof(Customer), SlotKind.Local),
                new ProbeSlot("lines", typeof(List<OrderLine>), SlotKind.Local),
                new ProbeSlot("total", typeof(decimal), SlotKind.Local),
                new ProbeSlot("express", typeof(bool), SlotKind.Local),
                new ProbeSlot("note", typeof(string), SlotKind.Local),
                new ProbeSlot("created", typeof(DateTime), SlotKind.Local),
                new ProbeSlot("count", typeof(int), SlotKind.Local),
                new ProbeSlot("discount", typeof(double), SlotKind.Local),
            ],
            s_ten, "/bench/ProbeBenchmarks.cs", 30, 0, []);

        public void Install(ProbeLocation location) =>
            ProbeRuntime.Table.Bind(location.ProbeId, location.Line == 30 ? TenLayout : SmallLayout);

        public void Remove(int probeId) => ProbeRuntime.Table.Unbind(probeId);
    }

    private sealed class DiscardSink : ISnapshotSink, IDeepLogSink
    {
        public bool TryEnqueue(Snapshot snapshot) => true;

        public void Emit(DeepLogEntry entry)
        {
        }
    }

    private sealed class DelegateConditionAction(TracePointConfig tp, RateLimiter limiter, Func<HitState, bool> condition) : ProbeAction(tp, limiter)
    {
        public override ActionKind Kind => ActionKind.Log;

        protected override string? PrepareCore(ProbeFrameLayout layout)
        {
            Condition = condition;
            return null;
        }

        public override void Process(Hit hit)
        {
        }
    }
}

/// <summary>A small object graph three levels deep: order → customer → address, order → lines → product.</summary>
public sealed class Order
{
    public int Id { get; init; }
    public Customer Customer { get; init; } = null!;
    public List<OrderLine> Lines { get; init; } = [];
    public string Note { get; init; } = "";
    public DateTime Created { get; init; }
    public decimal Total { get; init; } = 59.94m;

    public static Order Sample() => new()
    {
        Id = 1234,
        Customer = new Customer { Name = "Ada Lovelace", Email = "ada@example.com", Address = new Address { Street = "1 Analytical Way", City = "London" } },
        Lines = Enumerable.Range(1, 3).Select(i => new OrderLine { Sku = $"SKU-{i}", Quantity = i, Price = 9.99m * i }).ToList(),
        Note = "leave at the door",
        Created = new DateTime(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc),
    };

    public (int, Customer, List<OrderLine>, decimal, bool, string, DateTime, int, double) Locals() =>
        (Id, Customer, Lines, Total, Note.Length > 3, Note, Created, Lines.Count, 0.1);
}

public sealed class Customer
{
    public string Name { get; init; } = "";
    public string Email { get; init; } = "";
    public Address Address { get; init; } = null!;
}

public sealed class Address
{
    public string Street { get; init; } = "";
    public string City { get; init; } = "";
}

public sealed class OrderLine
{
    public string Sku { get; init; } = "";
    public int Quantity { get; init; }
    public decimal Price { get; init; }
}
