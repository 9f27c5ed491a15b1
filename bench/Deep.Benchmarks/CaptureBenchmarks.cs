using BenchmarkDotNet.Attributes;
using Deep.Agent.Capture;

namespace Deep.Benchmarks;

/// <summary>Capturing a snapshot's variables: a frame of 10 locals, and an object graph three levels deep.</summary>
[MemoryDiagnoser]
// BenchmarkDotNet 0.14 has no Net10_0 moniker: the job runs on the current runtime (.NET 10).
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class CaptureBenchmarks
{
    public sealed class Item
    {
        public string Sku { get; set; } = "";
        public int Quantity;
        public decimal Price { get; set; }
    }

    public sealed class Cart
    {
        public Guid Id { get; } = Guid.NewGuid();
        public List<Item> Items { get; } = new();
        public string Owner = "ada";
        public DateTime Created = new(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    }

    /// <summary>A node with three children, three levels deep: 1 + 3 + 9 nodes.</summary>
    public sealed class TreeNode
    {
        public string Name = "";
        public int Level;
        public TreeNode[] Children = [];
    }

    private (string Name, object? Value, Type Type)[] _locals = [];
    private TreeNode _tree = null!;

    [GlobalSetup]
    public void Setup()
    {
        var cart = new Cart();
        for (var i = 0; i < 3; i++)
        {
            cart.Items.Add(new Item { Sku = "SKU-" + i, Quantity = i + 1, Price = 9.99m * (i + 1) });
        }
        _locals =
        [
            ("this", cart, typeof(Cart)),
            ("count", 42, typeof(int)),
            ("total", 59.94m, typeof(decimal)),
            ("name", "checkout", typeof(string)),
            ("ratio", 0.25, typeof(double)),
            ("isMember", true, typeof(bool)),
            ("discount", (int?)5, typeof(int?)),
            ("tags", new List<string> { "gift", "express" }, typeof(List<string>)),
            ("first", cart.Items[0], typeof(Item)),
            ("when", DateTime.UnixEpoch, typeof(DateTime)),
        ];
        _tree = Build("root", 0);
    }

    private static TreeNode Build(string name, int level) => new()
    {
        Name = name,
        Level = level,
        Children = level == 2 ? [] : Enumerable.Range(0, 3).Select(i => Build(name + "." + i, level + 1)).ToArray(),
    };

    [Benchmark]
    public int Frame_of_10_locals()
    {
        var collector = new VariableCollector(CaptureLimits.Default, Redactor.Default);
        foreach (var (name, value, type) in _locals)
        {
            collector.Capture(name, value, type);
        }
        return collector.VarLookup.Count;
    }

    [Benchmark]
    public int Object_graph_depth_3()
    {
        var collector = new VariableCollector(CaptureLimits.Default, Redactor.Default);
        collector.Capture("tree", _tree, typeof(TreeNode));
        return collector.VarLookup.Count;
    }

    [Benchmark]
    public int Frames_of_this_stack() => FrameCollector.Collect(0, new FrameOptions()).Count;

    // Issue #12 item 3: per-tracepoint limits far above the defaults on a value far larger than them.
    private readonly List<int> _millionItems = Enumerable.Range(0, 1_000_000).ToList();
    private readonly string _tenMegaChars = new('x', 10_000_000);

    /// <summary>MAX_COLLECTION_SIZE=1000000 on a list of a million ints, other limits at their defaults.</summary>
    [Benchmark]
    public int Million_item_list_MAX_COLLECTION_SIZE_1000000()
    {
        var collector = new VariableCollector(CaptureLimits.Default with { MaxCollectionSize = 1_000_000 }, Redactor.Default);
        collector.Capture("items", _millionItems, typeof(List<int>));
        return collector.VarLookup.Count;
    }

    /// <summary>The same with MAX_VARIABLES=1000000 too: only the time budget (100 ms) stops it.</summary>
    [Benchmark]
    public int Million_item_list_MAX_COLLECTION_SIZE_and_MAX_VARIABLES_1000000()
    {
        var collector = new VariableCollector(CaptureLimits.Default with { MaxCollectionSize = 1_000_000, MaxVariables = 1_000_000 }, Redactor.Default);
        collector.Capture("items", _millionItems, typeof(List<int>));
        return collector.VarLookup.Count;
    }

    /// <summary>MAX_STRING_LENGTH=10000000 on a string of ten million characters.</summary>
    [Benchmark]
    public int Ten_million_char_string_MAX_STRING_LENGTH_10000000()
    {
        var collector = new VariableCollector(CaptureLimits.Default with { MaxStringLength = 10_000_000 }, Redactor.Default);
        collector.Capture("text", _tenMegaChars, typeof(string));
        return collector.VarLookup.Count;
    }
}
