using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// Line tracepoints in constructors, a static constructor, property accessors, an operator, an indexer and an
// expression-bodied member. Expected values are computed here from tests/TestApps/Deep.TestApp/Members.cs
// (Members.Run(n): a = new Account("a" + n, n), b = new Account("b", 2), a.Note = "  note" + n + "  ", a + b,
// a.Limit, a[3], sum.Limit).
[Collection(EndToEndCollection.Name)]
public sealed class MemberTracepointTests
{
    private const string File = "Members.cs";
    private const string Source = "tests/TestApps/Deep.TestApp/Members.cs";

    private static int Line(string marker) => Repo.Line(Source, marker);

    private static async Task<Snapshot> FirstAsync(AppSession session, string marker, string scenario, int n, string? condition = null)
    {
        var args = new Dictionary<string, string>();
        if (condition is not null)
        {
            args["condition"] = condition;
        }
        var id = await session.Api.CreateAsync(File, Line(marker), args);
        try
        {
            return (await session.DriveUntilAsync(id, () => session.App.Call(scenario, n), s => s.Count >= 1))[0];
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_constructor_line_after_the_base_call_shows_the_arguments_and_a_partly_initialised_this(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var snapshot = await FirstAsync(session, "ctor-line", "members", 4, "owner == \"a4\"");

        snapshot.Check(s =>
        {
            Assert.Equal("a4", s.Value("owner"));
            Assert.Equal("4", s.Value("limit"));
            Assert.Equal("40", s.Value("scaled"));
            Assert.Equal("Account", s.Type("this"));
            // The base constructor ran (Owner is set) and the field initialiser ran before it; _limit not yet.
            Assert.Equal("a4", s.Member("this", "Owner"));
            Assert.Equal("new", s.Member("this", "_note"));
            Assert.Equal("0", s.Member("this", "_limit"));
            Assert.Equal(".ctor", s.MethodName);
        });
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_static_constructor_line_fires_when_the_type_is_first_used(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("static-ctor-line"));
        try
        {
            // The static constructor runs once per process: install first, then touch the type (only this test does).
            await session.WaitForStateAsync(id, "installed,fired");
            Assert.Equal("21", session.App.Call("tariff"));

            var snapshot = (await session.DriveUntilAsync(id, () => { }, s => s.Count >= 1))[0];
            snapshot.Check(s =>
            {
                Assert.Equal("7", s.Value("baseRate"));
                Assert.DoesNotContain("this", s.Names);
                Assert.Equal(".cctor", s.MethodName);
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
    public async Task A_property_setter_line_shows_value(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var snapshot = await FirstAsync(session, "setter-line", "members", 5);

        snapshot.Check(s =>
        {
            Assert.Equal("  note5  ", s.Value("value"));
            Assert.Equal("note5", s.Value("trimmed"));
            Assert.Equal("a5/5", s.Member("this", "_note"));
            Assert.Equal("set_Note", s.MethodName);
        });
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_expression_bodied_getter_line_shows_this(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var snapshot = await FirstAsync(session, "expression-bodied-line", "members", 6, "this.Owner == \"a6\"");

        snapshot.Check(s =>
        {
            Assert.Equal("60", s.Member("this", "_limit"));
            Assert.Equal("get_Limit", s.MethodName);
        });
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_operator_line_shows_both_operands_and_its_local(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var snapshot = await FirstAsync(session, "operator-line", "members", 3);

        snapshot.Check(s =>
        {
            Assert.Equal("a3", s.Member("left", "Owner"));
            Assert.Equal("b", s.Member("right", "Owner"));
            Assert.Equal("50", s.Value("limit")); // 30 + 20
            Assert.Equal("op_Addition", s.MethodName);
        });
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_indexer_line_shows_the_index_and_its_local(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var snapshot = await FirstAsync(session, "indexer-line", "members", 7);

        snapshot.Check(s =>
        {
            Assert.Equal("3", s.Value("index"));
            Assert.Equal("210", s.Value("scaled")); // 3 * 70
            Assert.Equal("get_Item", s.MethodName);
        });
    }
}
