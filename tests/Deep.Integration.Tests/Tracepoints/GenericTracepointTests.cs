using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// Line tracepoints in generic methods and methods of generic types: one tracepoint fires for every instantiation
// (shared code for reference types, one body per value type), values typed as the instantiation's types.
// Expected values are computed here from tests/TestApps/Deep.TestApp/Generics.cs.
[Collection(EndToEndCollection.Name)]
public sealed class GenericTracepointTests
{
    private const string File = "Generics.cs";
    private const string Source = "tests/TestApps/Deep.TestApp/Generics.cs";

    private static readonly Dictionary<string, string> EveryHit = new() { ["fire_count"] = "-1", ["fire_period"] = "0" };

    private static int Line(string marker) => Repo.Line(Source, marker);

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_generic_method_line_fires_for_int_string_and_struct_with_the_values_typed_as_the_instantiation(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("generic-method-line"), EveryHit);
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => session.App.Call("generics", 3),
                s => s.Select(x => x.Type("item")).Distinct().Count() >= 3);

            // Generics.Run(3): Describe(3, 3), Describe("s3", 3), Describe(new Money(300, "EUR"), 3).
            snapshots.First(s => s.Type("item") == "int").Check(s =>
            {
                Assert.Equal("3", s.Value("item"));
                Assert.Equal("3", s.Value("text"));
                Assert.Equal("3", s.Value("n"));
                Assert.Equal("int", s.Type("n"));
            });
            snapshots.First(s => s.Type("item") == "string").Check(s =>
            {
                Assert.Equal("s3", s.Value("item"));
                Assert.Equal("s3", s.Value("text"));
            });
            snapshots.First(s => s.Type("item") == "Money").Check(s =>
            {
                Assert.Equal("300", s.Member("item", "Cents"));
                Assert.Equal("EUR", s.Member("item", "Currency"));
                Assert.Equal("300 EUR", s.Value("text"));
                Assert.Equal("Describe", s.MethodName);
            });
            Assert.All(snapshots, s => Assert.Contains(s.Type("item"), new[] { "int", "string", "Money" }));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_method_of_a_generic_class_fires_for_reference_and_value_type_arguments(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("box-put-line"), EveryHit);
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => session.App.Call("generics", 4),
                s => s.Select(x => x.Type("item")).Distinct().Count() >= 2);

            // Generics.Run(4): new Box<string>().Put("name4"), new Box<Money>().Put(new Money(4, "USD")).
            snapshots.First(s => s.Type("item") == "string").Check(s =>
            {
                Assert.Equal("name4", s.Value("item"));
                Assert.Equal("1", s.Value("count"));
                Assert.Equal("Box<string>", s.Type("this"));
            });
            snapshots.First(s => s.Type("item") == "Money").Check(s =>
            {
                Assert.Equal("4", s.Member("item", "Cents"));
                Assert.Equal("USD", s.Member("item", "Currency"));
                Assert.Equal("1", s.Value("count"));
                Assert.Equal("Box<Money>", s.Type("this"));
            });
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_condition_in_a_generic_method_can_name_a_value_of_the_type_parameter(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("generic-method-line"),
            new Dictionary<string, string> { ["condition"] = "item == \"s8\" && n == 8", ["fire_count"] = "-1", ["fire_period"] = "0" });
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () =>
            {
                session.App.Call("generics", 7);
                session.App.Call("generics", 8);
            }, s => s.Count >= 1);

            // Only Describe<string>("s8", 8) passes: not the int or Money instantiations, nor n = 7.
            Assert.All(snapshots, s => s.Check(x =>
            {
                Assert.Equal("s8", x.Value("item"));
                Assert.Equal("string", x.Type("item"));
            }));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_instantiation_first_called_after_the_tracepoint_was_installed_fires_too(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var method = await session.Api.CreateAsync(File, Line("generic-method-line"), EveryHit);
        var box = await session.Api.CreateAsync(File, Line("box-put-line"), EveryHit);
        try
        {
            await session.WaitForStateAsync(method, "installed,fired");
            await session.WaitForStateAsync(box, "installed,fired");

            // Only this test runs "generics-late": Describe<Parcel> and Box<Parcel>.Put are compiled now, after the
            // probes were installed. RunLate(2): Describe(new Parcel(2000), 2), new Box<Parcel>().Put(new Parcel(2)).
            var described = (await session.DriveUntilAsync(method, () => session.App.Call("generics-late", 2),
                s => s.Any(x => x.Type("item") == "Parcel"))).First(s => s.Type("item") == "Parcel");
            described.Check(s =>
            {
                Assert.Equal("2000", s.Member("item", "Grams"));
                Assert.Equal("2000g", s.Value("text"));
                Assert.Equal("2", s.Value("n"));
            });
            var put = (await session.DriveUntilAsync(box, () => session.App.Call("generics-late", 2),
                s => s.Any(x => x.Type("item") == "Parcel"))).First(s => s.Type("item") == "Parcel");
            put.Check(s =>
            {
                Assert.Equal("2", s.Member("item", "Grams"));
                Assert.Equal("1", s.Value("count"));
                Assert.Equal("Box<Parcel>", s.Type("this"));
            });
        }
        finally
        {
            await session.Api.DeleteAsync(method);
            await session.Api.DeleteAsync(box);
        }
    }

    // Generic state machines and closures: the probe's layout knows only the open type (<TallyAsync>d__1<T>); the
    // condition is compiled once and reads each instantiation's fields by name. GenericShapes.Run(n) runs, in order,
    // TallyAsync("t" + n, n), TallyAsync(n * 10, n), Label("s" + n, n), Label(new Money(n, "GBP"), n),
    // new Shelf<string>("shelf" + n).AddAsync("x" + n) and new Shelf<Money>("crate" + n).AddAsync(new Money(n, "CHF")).

    private static Dictionary<string, string> When(string condition) =>
        new() { ["condition"] = condition, ["fire_count"] = "-1", ["fire_period"] = "0" };

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_condition_in_a_generic_async_method_names_its_hoisted_local_and_fires_for_the_matching_instantiation_only(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("generic-async-line"), When("item == \"t8\" && total == 16"), ["total + count"]);
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () =>
            {
                session.App.Call("generics", 7);
                session.App.Call("generics", 8);
            }, s => s.Count >= 1);

            // Only TallyAsync<string>("t8", 8), before `total += label.Length`: total = 16. Not TallyAsync<int>(80, 8)
            // (same total), nor n = 7 (total = 14).
            Assert.All(snapshots, s => s.Check(x =>
            {
                Assert.Equal("t8", x.Value("item"));
                Assert.Equal("string", x.Type("item"));
                Assert.Equal("16", x.Value("total"));
                Assert.Equal("int", x.Type("total"));
                Assert.Equal("t8", x.Value("label"));
                Assert.Equal("8", x.Value("count"));
                Assert.Equal("24", x.WatchValue("total + count"));
                Assert.True(x.IsAsync());
            }));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_condition_in_a_generic_async_method_matches_a_value_type_instantiation_by_its_hoisted_string(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("generic-async-line"), When("label == \"90\" && count == 9"));
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () =>
            {
                session.App.Call("generics", 8);
                session.App.Call("generics", 9);
            }, s => s.Count >= 1);

            // Only TallyAsync<int>(90, 9): its own compiled body (a value-type instantiation), label = "90".
            Assert.All(snapshots, s => s.Check(x =>
            {
                Assert.Equal("90", x.Value("item"));
                Assert.Equal("int", x.Type("item"));
                Assert.Equal("18", x.Value("total"));
                Assert.Equal("9", x.Value("count"));
            }));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_condition_in_a_lambda_of_a_generic_method_names_the_captured_variables(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("generic-lambda-line"), When("item == \"s8\" && width == 9 && extra == 2"));
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () =>
            {
                session.App.Call("generics", 7);
                session.App.Call("generics", 8);
            }, s => s.Count >= 1);

            // Only Label<string>("s8", 8)'s format(2): not format(1), not Label<Money>, not n = 7.
            Assert.All(snapshots, s => s.Check(x =>
            {
                Assert.Equal("s8", x.Value("item"));
                Assert.Equal("string", x.Type("item"));
                Assert.Equal("9", x.Value("width"));
                Assert.Equal("2", x.Value("extra"));
                Assert.Equal("11", x.Value("size"));
            }));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_condition_in_an_async_method_of_a_generic_type_names_a_field_of_this_and_a_hoisted_local(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("generic-type-async-line"), When("Name == \"shelf8\" && count == 1"), ["this.Name"]);
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () =>
            {
                session.App.Call("generics", 7);
                session.App.Call("generics", 8);
            }, s => s.Count >= 1);

            // Only new Shelf<string>("shelf8").AddAsync("x8"): not Shelf<Money>("crate8"), not n = 7.
            Assert.All(snapshots, s => s.Check(x =>
            {
                Assert.Equal("x8", x.Value("item"));
                Assert.Equal("string", x.Type("item"));
                Assert.Equal("1", x.Value("count"));
                Assert.Equal("Shelf<string>", x.Type("this"));
                Assert.Equal("shelf8", x.WatchValue("this.Name"));
            }));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }
}
