using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Deep.Agent.Capture;
using Deep.Protocol;

namespace Deep.Agent.Tests.Capture;

public class VariableCollectorTests
{
    private readonly VariableCollector _collector = new(CaptureLimits.Default with { MaxTimeMs = 10_000 }, Redactor.Default);

    private Variable Capture<T>(string name, T value) => _collector.VarLookup[_collector.Capture(name, value, typeof(T)).ID];

    private Variable Var(VariableID id) => _collector.VarLookup[id.ID];

    private static VariableID Child(Variable parent, string name) =>
        parent.Children.SingleOrDefault(c => c.Name == name) ?? throw new Xunit.Sdk.XunitException("no child '" + name + "' in " + string.Join(", ", parent.Children.Select(c => c.Name)));

    [Fact]
    public void Primitive_values_are_their_invariant_text_with_CSharp_type_names()
    {
        var saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            Assert.Equal(("int", "42"), Text(Capture("i", 42)));
            Assert.Equal(("double", "2.5"), Text(Capture("d", 2.5)));
            Assert.Equal(("decimal", "1234.5"), Text(Capture("m", 1234.5m)));
            Assert.Equal(("long", "-7"), Text(Capture("l", -7L)));
            Assert.Equal(("bool", "true"), Text(Capture("b", true)));
            Assert.Equal(("char", "x"), Text(Capture("c", 'x')));
            Assert.Equal(("Level", "High"), Text(Capture("level", Level.High)));
            Assert.Equal(("Access", "Read, Write"), Text(Capture("access", Access.Read | Access.Write)));
            Assert.Equal(("DateTime", "2024-05-06T07:08:09.0000000Z"), Text(Capture("when", new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc))));
            Assert.Equal(("TimeSpan", "01:30:00"), Text(Capture("span", TimeSpan.FromMinutes(90))));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    private static (string, string) Text(Variable v) => (v.Type, v.Value);

    [Fact]
    public void An_exception_shows_its_type_and_message_without_running_its_Message_property()
    {
        Assert.Equal(("InvalidOperationException", "InvalidOperationException: order 26 over the limit"),
            Text(Capture<Exception>("exception", new InvalidOperationException("order 26 over the limit"))));
        var computed = new ComputedMessageException();
        Assert.Equal(("VariableCollectorTests.ComputedMessageException", "VariableCollectorTests.ComputedMessageException"), Text(Capture<Exception>("exception", computed)));
        Assert.Equal(0, computed.MessageReads);

        var limited = new VariableCollector(CaptureLimits.Default with { MaxTimeMs = 10_000, MaxStringLength = 5 }, Redactor.Default);
        var cut = limited.VarLookup[limited.Capture("e", new ArgumentException("0123456789"), typeof(Exception)).ID];
        Assert.Equal("ArgumentException: 01234", cut.Value);
        Assert.True(cut.Truncated);
    }

    [Fact]
    public void An_exception_s_children_are_its_own_fields_and_the_base_fields_behind_Message_InnerException_HResult_Source_Data()
    {
        var inner = new ArgumentException("bad sku");
        var exception = Capture<Exception>("exception", new OrderRejectedException("rejected", inner) { OrderId = 26 });
        Assert.Equal("OrderId", exception.Children[0].Name); // the most derived type's fields first
        Assert.Equal(["Data", "HResult", "InnerException", "Message", "OrderId", "Source"], exception.Children.Select(c => c.Name).Order());
        Assert.Equal("_message", Child(exception, "Message").OriginalName);
        Assert.Equal("26", Var(Child(exception, "OrderId")).Value);
        Assert.Equal("rejected", Var(Child(exception, "Message")).Value);
        Assert.Equal("ArgumentException: bad sku", Var(Child(exception, "InnerException")).Value);
        Assert.Equal(unchecked((int)0x80131500).ToString(CultureInfo.InvariantCulture), Var(Child(exception, "HResult")).Value);
    }

    private sealed class OrderRejectedException(string message, Exception inner) : Exception(message, inner)
    {
        public int OrderId { get; init; }
    }

    private sealed class ComputedMessageException : Exception
    {
        public int MessageReads { get; private set; }

        public override string Message => $"computed {++MessageReads}";
    }

    [Fact]
    public void Null_shows_the_declared_type()
    {
        Assert.Equal(("string", "null"), Text(Capture<string?>("s", null)));
        Assert.Equal(("int?", "null"), Text(Capture<int?>("n", null)));
        Assert.Equal(("Account", "null"), Text(Capture<Account?>("a", null)));
    }

    [Fact]
    public void A_boxed_nullable_keeps_its_declared_type_and_object_shows_the_runtime_type()
    {
        Assert.Equal(("int?", "5"), Text(Capture<int?>("n", 5)));
        Assert.Equal(("int", "5"), Text(Capture<object>("o", 5)));
        Assert.Equal(("string", "s"), Text(Capture<object>("o2", "s")));
    }

    [Fact]
    public void Strings_are_captured_in_full_up_to_the_limit_then_truncated()
    {
        var collector = new VariableCollector(new CaptureLimits(MaxStringLength: 5, MaxTimeMs: 10_000), Redactor.Default);
        var full = collector.VarLookup[collector.Capture("s", "abcde", typeof(string)).ID];
        var cut = collector.VarLookup[collector.Capture("t", "abcdefgh", typeof(string)).ID];
        Assert.Equal("abcde", full.Value);
        Assert.Null(full.Truncated);
        Assert.Equal("abcde", cut.Value);
        Assert.True(cut.Truncated);
    }

    [Fact]
    public void Objects_show_their_type_name_identity_hash_and_fields()
    {
        var account = new Account(7) { Owner = "ada" };
        var v = Capture("account", account);
        Assert.Equal("Account", v.Type);
        Assert.Equal("Account", v.Value);
        Assert.Equal(RuntimeHelpers.GetHashCode(account).ToString(CultureInfo.InvariantCulture), v.Hash);
        Assert.Equal("7", Var(Child(v, "_number")).Value);
        Assert.Equal("ada", Var(Child(v, "Owner")).Value);
        Assert.Equal("eu", Var(Child(v, "Region")).Value);
    }

    [Fact]
    public void Auto_properties_show_under_their_property_name_with_the_original_name()
    {
        var v = Capture("account", new Account(1) { Owner = "bo" });
        var owner = Child(v, "Owner");
        Assert.Equal("<Owner>k__BackingField", owner.OriginalName);
        Assert.Equal(["public"], owner.Modifiers);
        var level = Child(v, "Level");
        Assert.Equal(["public", "readonly"], level.Modifiers); // init-only auto-property
        Assert.Null(Child(v, "_number").OriginalName);
    }

    [Fact]
    public void Modifiers_are_the_real_CSharp_modifiers()
    {
        var v = Capture("account", new Account(1));
        Assert.Equal(["private", "readonly"], Child(v, "_number").Modifiers);
        Assert.Equal(["protected"], Child(v, "Region").Modifiers);
        Assert.Equal(["internal"], Child(v, "InternalCount").Modifiers);
        Assert.Equal(["protected", "internal"], Child(v, "Mixed").Modifiers);
        Assert.Equal(["public"], Child(v, "Partner").Modifiers);
    }

    [Fact]
    public void Capture_never_runs_getters_ToString_Equals_or_GetHashCode()
    {
        var account = new Account(1);
        account.Partner = account;
        var v = Capture("account", account);
        Assert.DoesNotContain(v.Children, c => c.Name == "Computed");
        Assert.Equal(0, account.GetterCalls);
    }

    [Fact]
    public void The_same_object_twice_is_stored_once_and_referenced_twice()
    {
        var shared = new Account(2);
        var a = new Account(1) { Partner = shared };
        var list = new List<Account> { shared, shared };
        var va = Capture("a", a);
        var vl = Capture("list", list);
        var viaField = Child(va, "Partner").ID;
        Assert.Equal(viaField, Child(vl, "[0]").ID);
        Assert.Equal(viaField, Child(vl, "[1]").ID);
        Assert.Single(_collector.VarLookup.Values, v => v.Hash == RuntimeHelpers.GetHashCode(shared).ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Cycles_terminate()
    {
        var a = new Account(1);
        var b = new Account(2) { Partner = a };
        a.Partner = b;
        var id = _collector.Capture("a", a, typeof(Account));
        var va = Var(id);
        var vb = Var(Child(va, "Partner"));
        Assert.Equal(id.ID, Child(vb, "Partner").ID);
    }

    [Fact]
    public void Value_types_have_no_identity_and_are_stored_per_occurrence()
    {
        var p = new Coordinates { Lat = 1.5, Lon = 2 };
        var first = _collector.Capture("p", p, typeof(Coordinates));
        var second = _collector.Capture("q", p, typeof(Coordinates));
        Assert.NotEqual(first.ID, second.ID);
        Assert.Equal("", Var(first).Hash);
        Assert.Equal("1.5", Var(Child(Var(first), "Lat")).Value);
    }

    [Fact]
    public void Lists_show_their_size_and_the_first_items()
    {
        var list = Enumerable.Range(100, 15).ToList();
        var v = Capture("list", list);
        Assert.Equal("List<int>", v.Type);
        Assert.Equal("List<int> of size: 15", v.Value);
        Assert.Equal(10, v.Children.Count);
        Assert.Equal("[0]", v.Children[0].Name);
        Assert.Equal("109", Var(Child(v, "[9]")).Value);
        Assert.True(v.Truncated);
    }

    [Fact]
    public void A_collection_within_the_limit_is_not_truncated()
    {
        var v = Capture("small", new[] { 1, 2, 3 });
        Assert.Equal("int[] of size: 3", v.Value);
        Assert.Equal(["[0]", "[1]", "[2]"], v.Children.Select(c => c.Name));
        Assert.Null(v.Truncated);
    }

    [Fact]
    public void Multidimensional_arrays_name_items_by_all_indices()
    {
        var v = Capture("grid", new int[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal("int[,]", v.Type);
        Assert.Equal(["[0,0]", "[0,1]", "[1,0]", "[1,1]"], v.Children.Select(c => c.Name));
        Assert.Equal("3", Var(Child(v, "[1,0]")).Value);
    }

    [Fact]
    public void Dictionary_entries_are_named_by_their_keys()
    {
        var map = new Dictionary<string, Account> { ["first"] = new Account(1), ["second"] = new Account(2) };
        var v = Capture("map", map);
        Assert.Equal("Dictionary<string, Account>", v.Type);
        Assert.Equal("Dictionary<string, Account> of size: 2", v.Value);
        Assert.Equal("Account", Var(Child(v, "first")).Type);
        var numbers = Capture("numbers", new SortedDictionary<int, string> { [3] = "c", [1] = "a" });
        Assert.Equal(["1", "3"], numbers.Children.Select(c => c.Name));
        Assert.Equal("a", Var(Child(numbers, "1")).Value);
    }

    [Fact]
    public void Framework_sets_queues_and_concurrent_collections_are_enumerated()
    {
        Assert.Equal(3, Capture("set", new HashSet<int> { 1, 2, 3 }).Children.Count);
        var queue = new Queue<string>(["a", "b"]);
        var q = Capture("queue", queue);
        Assert.Equal("Queue<string> of size: 2", q.Value);
        Assert.Equal("a", Var(Child(q, "[0]")).Value);
        var concurrent = new ConcurrentDictionary<string, int>();
        concurrent["k"] = 5;
        Assert.Equal("5", Var(Child(Capture("concurrent", concurrent), "k")).Value);
    }

    [Fact]
    public void Lazy_queries_and_application_collections_are_never_enumerated()
    {
        var pulled = 0;
        var query = Enumerable.Range(0, 5).Select(x => { pulled++; return x; });
        var v = Capture("query", query);
        Assert.Equal(0, pulled);
        Assert.DoesNotContain("of size", v.Value);

        var custom = new CountingCollection();
        var c = Capture("custom", custom);
        Assert.Equal(0, custom.Enumerations);
        Assert.Equal("CountingCollection", c.Value);
        Assert.Contains(c.Children, ch => ch.Name == "_items"); // its fields are shown instead
    }

    [Fact]
    public void StringBuilder_shows_its_text()
    {
        Assert.Equal(("StringBuilder", "built"), Text(Capture("sb", new StringBuilder("built"))));
    }

    [Fact]
    public void The_depth_limit_stops_the_walk_and_marks_the_cut()
    {
        var root = new Node { Depth = 1 };
        var current = root;
        for (var i = 2; i <= 10; i++)
        {
            current.Next = new Node { Depth = i };
            current = current.Next;
        }
        var collector = new VariableCollector(new CaptureLimits(MaxDepth: 3, MaxTimeMs: 10_000), Redactor.Default);
        var v = collector.VarLookup[collector.Capture("root", root, typeof(Node)).ID];
        var second = collector.VarLookup[v.Children.Single(c => c.Name == "Next").ID];
        var third = collector.VarLookup[second.Children.Single(c => c.Name == "Next").ID];
        Assert.Empty(third.Children);
        Assert.True(third.Truncated);
        Assert.Null(v.Truncated);
        Assert.Equal(1 + 2 + 2, collector.VarLookup.Count); // root; Depth+Next of root; Depth+Next of the second (the third is not expanded)
    }

    [Fact]
    public void The_variable_limit_stops_adding_and_marks_the_cut()
    {
        var collector = new VariableCollector(new CaptureLimits(MaxVariables: 5, MaxCollectionSize: 100, MaxTimeMs: 10_000), Redactor.Default);
        var id = collector.Capture("list", Enumerable.Range(0, 50).ToList(), typeof(List<int>));
        var list = collector.VarLookup[id.ID];
        Assert.Equal(4, list.Children.Count);
        Assert.True(list.Truncated);
        Assert.True(collector.LimitReached);
        var late = collector.Capture("late", 1, typeof(int));
        Assert.Equal("[not captured: variable limit reached]", collector.VarLookup[late.ID].Value);
        Assert.Equal("late", late.Name);
        Assert.True(collector.VarLookup.Count <= 6);
    }

    [Fact]
    public void The_time_budget_stops_a_huge_walk()
    {
        var huge = Enumerable.Range(0, 2_000_000).ToArray();
        var collector = new VariableCollector(new CaptureLimits(MaxVariables: int.MaxValue, MaxCollectionSize: int.MaxValue, MaxTimeMs: 1), Redactor.Default);
        var v = collector.VarLookup[collector.Capture("huge", huge, typeof(int[])).ID];
        Assert.True(v.Truncated);
        Assert.True(v.Children.Count < huge.Length);
        Assert.True(collector.LimitReached);
    }

    [Fact]
    public void Names_on_the_redaction_list_are_redacted_everywhere()
    {
        var account = new Account(1);
        var password = Capture("password", "s3cret");
        Assert.Equal("[redacted]", password.Value);
        var v = Capture("account", account);
        Assert.Equal("[redacted]", Var(Child(v, "Password")).Value);
        Assert.Equal("[redacted]", Var(Child(v, "ApiKey")).Value);
        var headers = Capture("headers", new Dictionary<string, string> { ["Authorization"] = "Bearer x", ["Accept"] = "json" });
        Assert.Equal("[redacted]", Var(Child(headers, "Authorization")).Value);
        Assert.Equal("json", Var(Child(headers, "Accept")).Value);
        Assert.DoesNotContain(_collector.VarLookup.Values, x => x.Value.Contains("hunter2") || x.Value.Contains("s3cret") || x.Value.Contains("k-123"));
    }

    [Fact]
    public void A_collection_that_fails_to_enumerate_becomes_an_error_variable_and_the_snapshot_goes_on()
    {
        // Spec §10 defect 4: one value that cannot be walked must not abort the snapshot. Corrupt a HashSet so its
        // own enumerator throws.
        var broken = new HashSet<int> { 1, 2, 3 };
        var countField = typeof(HashSet<int>).GetField("_count", BindingFlags.Instance | BindingFlags.NonPublic);
        Assert.NotNull(countField);
        countField!.SetValue(broken, 1000);
        var brokenVar = Capture("broken", broken);
        var after = Capture("after", new Account(5));
        var error = Var(Child(brokenVar, "[error]"));
        Assert.StartsWith("[could not read children:", error.Value);
        Assert.True(brokenVar.Truncated);
        Assert.Equal("5", Var(Child(after, "_number")).Value);
    }

    [Fact]
    public void A_second_snapshot_of_the_same_hit_gets_full_variables()
    {
        // Spec §10 defect 5: each snapshot has its own collector; nothing is consumed by the first.
        var account = new Account(3) { Owner = "x" };
        var generous = CaptureLimits.Default with { MaxTimeMs = 10_000 };
        var first = new VariableCollector(generous, Redactor.Default);
        var a = first.VarLookup[first.Capture("account", account, typeof(Account)).ID];
        var second = new VariableCollector(generous, Redactor.Default);
        var b = second.VarLookup[second.Capture("account", account, typeof(Account)).ID];
        Assert.Equal(a.Children.Select(c => c.Name), b.Children.Select(c => c.Name));
        Assert.Equal(first.VarLookup.Count, second.VarLookup.Count);
        Assert.NotEmpty(b.Children);
    }

    [Fact]
    public void Static_fields_are_shown_when_reading_them_cannot_run_a_static_constructor()
    {
        Counters.Shared = 4;
        var v = Capture("counters", new Counters());
        var shared = Child(v, "Shared");
        Assert.Equal(["public", "static"], shared.Modifiers);
        Assert.Equal("4", Var(shared).Value);
        var precise = Capture("precise", new Precise());
        Assert.Equal("9", Var(Child(precise, "Ready")).Value);
    }

    [Fact]
    public void Static_fields_whose_type_initializer_may_not_have_run_are_skipped_and_it_does_not_run()
    {
        var lazy = new LazyStatics();
        Assert.Equal(0, LazyStaticsProbe.Ran);
        var v = Capture("lazy", lazy);
        Assert.DoesNotContain(v.Children, c => c.Name == "Initialized");
        Assert.Contains(v.Children, c => c.Name == "Own");
        Assert.Equal(0, LazyStaticsProbe.Ran);
    }

    [Fact]
    public void Compiler_generated_field_names_map_to_source_names()
    {
        Assert.Equal("Name", ObjectLayout.SourceName("<Name>k__BackingField"));
        Assert.Equal("total", ObjectLayout.SourceName("<total>5__2"));
        Assert.Equal("Id", ObjectLayout.SourceName("<Id>i__Field"));
        Assert.Equal("this", ObjectLayout.SourceName("<>4__this"));
        Assert.Null(ObjectLayout.SourceName("<>1__state"));
        Assert.Null(ObjectLayout.SourceName("plain"));
    }

    [Fact]
    public void Anonymous_type_members_show_by_name()
    {
        var anonymous = new { Id = 5, Label = "x" };
        var v = _collector.VarLookup[_collector.Capture("anon", anonymous, anonymous.GetType()).ID];
        Assert.Equal("5", Var(Child(v, "Id")).Value);
        Assert.Equal("<Id>i__Field", Child(v, "Id").OriginalName);
    }

    [Fact]
    public void Reference_modifiers_and_original_name_are_kept()
    {
        var id = _collector.Capture("total", 3, typeof(int), ["local"], "<total>5__2");
        Assert.Equal("total", id.Name);
        Assert.Equal("<total>5__2", id.OriginalName);
        Assert.Equal(["local"], id.Modifiers);
    }
}
