using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using Deep.Agent.Capture;
using Deep.Protocol;

namespace Deep.Agent.Tests.Capture;

/// <summary>
/// Issue #12 item 3: the limits hold inside one large value, whatever the per-tracepoint limits say: the time budget
/// inside the reading of a collection, and a size budget over everything a snapshot's variables hold.
/// </summary>
public class CaptureBudgetTests
{
    private const int Million = 1_000_000;

    private static readonly CaptureLimits Raised = CaptureLimits.Default with
    {
        MaxCollectionSize = Million, MaxStringLength = 10_000_000, MaxTimeMs = 60_000,
    };

    public static TheoryData<string> LargeCollections => ["List<int>", "int[]", "int[,]", "Dictionary<int, int>", "HashSet<int>", "ConcurrentQueue<int>", "ImmutableList<int>", "ArrayList"];

    private static object Large(string shape) => shape switch
    {
        "List<int>" => Enumerable.Range(0, Million).ToList(),
        "int[]" => Enumerable.Range(0, Million).ToArray(),
        "int[,]" => new int[1000, 1000],
        "Dictionary<int, int>" => Enumerable.Range(0, Million).ToDictionary(i => i, i => i),
        "HashSet<int>" => Enumerable.Range(0, Million).ToHashSet(),
        "ConcurrentQueue<int>" => new ConcurrentQueue<int>(Enumerable.Range(0, Million)),
        "ImmutableList<int>" => Enumerable.Range(0, Million).ToImmutableList(),
        "ArrayList" => new ArrayList(Enumerable.Range(0, Million).ToArray()),
        _ => throw new ArgumentException(shape),
    };

    [Theory]
    [MemberData(nameof(LargeCollections))]
    public void A_million_item_collection_under_MAX_COLLECTION_SIZE_1000000_reads_no_more_items_than_variables_are_left(string shape)
    {
        var value = Large(shape);
        var collector = new VariableCollector(Raised, Redactor.Default);
        var v = collector.VarLookup[collector.Capture("items", value, value.GetType()).ID];
        Assert.EndsWith($"of size: {Million}", v.Value);
        Assert.True(v.Truncated);
        Assert.True(collector.VarLookup.Count <= CaptureLimits.Default.MaxVariables + 2, $"{collector.VarLookup.Count} variables");
        Assert.InRange(v.Children.Count, 1, CaptureLimits.Default.MaxVariables);
    }

    [Theory]
    [MemberData(nameof(LargeCollections))]
    public void With_MAX_VARIABLES_raised_too_the_time_budget_ends_the_walk_and_says_so(string shape)
    {
        var value = Large(shape);
        var collector = new VariableCollector(Raised with { MaxVariables = Million * 2, MaxTimeMs = 5 }, Redactor.Default);
        var v = collector.VarLookup[collector.Capture("items", value, value.GetType()).ID];
        Assert.True(v.Truncated);
        Assert.True(collector.LimitReached);
        Assert.True(v.Children.Count < Million, $"{v.Children.Count} children");
        var late = collector.Capture("late", 1, typeof(int));
        Assert.Matches(@"^\[not captured: (time budget exceeded|snapshot size limit reached)\]$", collector.VarLookup[late.ID].Value);
    }

    [Theory]
    [InlineData("List<int>")]
    [InlineData("int[]")]
    [InlineData("int[,]")]
    [InlineData("Dictionary<int, int>")]
    [InlineData("HashSet<int>")]
    [InlineData("ImmutableList<int>")]
    public void The_collection_reader_hands_items_over_one_at_a_time_and_stops_when_told(string shape)
    {
        var value = Large(shape);
        var seen = new List<string>();
        var read = CollectionReader.ReadItems(value, Million, 1024, (name, _) =>
        {
            seen.Add(name);
            return seen.Count < 150;
        });
        Assert.Equal(150, read);
        Assert.Equal(150, seen.Count);
        Assert.Equal(150, seen.Distinct().Count());
    }

    public static TheoryData<string, string> LongTexts => new()
    {
        { "ascii", new string('a', 10_000_000) },
        { "two-byte", new string('é', 10_000_000) },
        { "three-byte", new string('€', 10_000_000) },
        { "surrogate pairs", string.Concat(Enumerable.Repeat("😀", 5_000_000)) },
    };

    [Theory]
    [MemberData(nameof(LongTexts))]
    public void A_ten_million_character_string_under_MAX_STRING_LENGTH_10000000_is_cut_to_the_size_budget_with_its_length(string kind, string text)
    {
        var collector = new VariableCollector(Raised, Redactor.Default);
        var reference = collector.Capture("text", text, typeof(string));
        var v = collector.VarLookup[reference.ID];
        Assert.True(v.Truncated, kind);
        Assert.StartsWith(v.Value, text, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(v.Value) <= CaptureLimits.DefaultMaxVariableBytes, kind);
        var length = Assert.Single(v.Children);
        Assert.Equal("Length", length.Name);
        Assert.Equal(text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), collector.VarLookup[length.ID].Value);
        AssertEncodedWithinCap(collector, reference);
    }

    [Fact]
    public void A_StringBuilder_is_cut_the_same_way()
    {
        var builder = new StringBuilder().Append('b', 8_000_000);
        var collector = new VariableCollector(Raised, Redactor.Default);
        var v = collector.VarLookup[collector.Capture("sb", builder, typeof(StringBuilder)).ID];
        Assert.True(v.Truncated);
        Assert.InRange(v.Value.Length, 1, CaptureLimits.DefaultMaxVariableBytes);
        Assert.Equal("8000000", collector.VarLookup[Assert.Single(v.Children).ID].Value);
    }

    [Fact]
    public void A_string_within_its_limit_has_no_length_child()
    {
        var collector = new VariableCollector(Raised, Redactor.Default);
        var v = collector.VarLookup[collector.Capture("s", "short", typeof(string)).ID];
        Assert.Null(v.Truncated);
        Assert.Empty(v.Children);
    }

    [Fact]
    public void Many_long_strings_stop_at_the_size_budget_and_later_values_say_so()
    {
        var pages = Enumerable.Range(0, 100).Select(i => new string((char)('a' + i % 26), 100_000)).ToArray();
        var collector = new VariableCollector(Raised with { MaxCollectionSize = 1000 }, Redactor.Default);
        var reference = collector.Capture("pages", pages, typeof(string[]));
        var v = collector.VarLookup[reference.ID];
        Assert.True(v.Truncated);
        Assert.True(collector.LimitReached);
        Assert.InRange(v.Children.Count, 1, 99);
        var late = collector.Capture("late", "x", typeof(string));
        Assert.Equal("[not captured: snapshot size limit reached]", collector.VarLookup[late.ID].Value);
        AssertEncodedWithinCap(collector, reference, late);
    }

    [Fact]
    public void Long_dictionary_keys_count_against_the_size_budget()
    {
        var index = Enumerable.Range(0, 200).ToDictionary(i => i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture) + new string('k', 50_000), i => i);
        var collector = new VariableCollector(Raised with { MaxVariables = Million }, Redactor.Default);
        var reference = collector.Capture("index", index, typeof(Dictionary<string, int>));
        var v = collector.VarLookup[reference.ID];
        Assert.Equal("Dictionary<string, int> of size: 200", v.Value);
        Assert.True(v.Truncated);
        Assert.InRange(v.Children.Count, 1, 199);
        Assert.True(v.Children.Sum(c => c.Name.Length) <= CaptureLimits.DefaultMaxVariableBytes);
        AssertEncodedWithinCap(collector, reference);
    }

    [Fact]
    public void A_smaller_size_budget_is_honoured_too()
    {
        var collector = new VariableCollector(Raised with { MaxVariableBytes = 10_000 }, Redactor.Default);
        var text = collector.VarLookup[collector.Capture("text", new string('z', 50_000), typeof(string)).ID];
        Assert.True(text.Truncated);
        Assert.InRange(text.Value.Length, 1, 10_000);
        Assert.True(collector.EstimatedBytes <= 10_100, $"{collector.EstimatedBytes} bytes");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(300)]
    [InlineData(2000)]
    public void A_generic_type_nested_to_any_depth_gets_a_bounded_name(int depth)
    {
        var type = typeof(int);
        for (var i = 0; i < depth; i++) type = typeof(List<>).MakeGenericType(type);
        var name = CSharpTypeNames.Of(type);
        // Cut at the limit; the brackets already opened are still closed.
        Assert.True(name.Length <= CSharpTypeNames.MaxNameLength * 2, $"{name.Length} characters");
        Assert.StartsWith("List<List<", name, StringComparison.Ordinal);
        if (depth * 5 > CSharpTypeNames.MaxNameLength) Assert.Contains("...", name, StringComparison.Ordinal);
        else Assert.Equal(string.Concat(Enumerable.Repeat("List<", depth)) + "int" + new string('>', depth), name);

        var collector = new VariableCollector(Raised, Redactor.Default);
        var v = collector.VarLookup[collector.Capture("nested", Activator.CreateInstance(type), type).ID];
        Assert.Equal(name + " of size: 0", v.Value);
    }

    private static void AssertEncodedWithinCap(VariableCollector collector, params VariableID[] frameVariables)
    {
        var snapshot = new Snapshot { ID = new byte[16] };
        var frame = new StackFrame { FileName = "f.cs", MethodName = "M" };
        frame.Variables.AddRange(frameVariables);
        snapshot.Frames.Add(frame);
        foreach (var (key, value) in collector.VarLookup) snapshot.VarLookup[key] = value;
        var size = ProtoCodec.CalculateSize(snapshot);
        // The budget is the variables' estimate; the snapshot and frame around them add a few dozen bytes.
        Assert.True(size <= CaptureLimits.DefaultMaxVariableBytes + 200, $"{size} bytes encoded");
        Assert.True(size <= CaptureLimits.MaxSnapshotBytes);
        Assert.True(collector.EstimatedBytes >= size - 1000, $"estimated {collector.EstimatedBytes}, encoded {size}");
    }
}
