using Deep.Agent.Native;
using Deep.Agent.Probes;

namespace Deep.Agent.Tests.Native;

// The one agent build (net8.0) across runtimes: which runtimes it accepts, how it recognises another CLR profiler,
// and the .NET 8 replacement of RuntimeHelpers.Box for values held raw in a hit.
public sealed class RuntimeSupportTests
{
    [Theory]
    [InlineData(8, 0, true)]
    [InlineData(9, 0, true)]
    [InlineData(10, 0, true)]
    [InlineData(7, 0, false)]
    [InlineData(6, 0, false)]
    [InlineData(3, 1, false)]
    [InlineData(11, 0, false)]
    public void Runtimes_8_to_10_are_supported_and_others_get_one_line_saying_the_agent_stays_out(int major, int minor, bool supported)
    {
        var why = RuntimeSupport.WhyUnsupported(new Version(major, minor, 5));

        if (supported)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Equal($"deep agent: .NET {major}.{minor}.5 is not supported (.NET 8 to 10): the agent stays out of this process", why);
            Assert.DoesNotContain('\n', why!);
        }
    }

    [Fact]
    public void The_runtime_these_tests_run_on_is_supported() => Assert.Null(RuntimeSupport.WhyUnsupported());

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Another_enabled_profiler_is_named_by_its_clsid_and_library()
    {
        var other = OtherProfiler.In(Env(("CORECLR_ENABLE_PROFILING", "1"), ("CORECLR_PROFILER", "{11111111-2222-3333-4444-555555555555}"),
            ("CORECLR_PROFILER_PATH", "/opt/apm/libapm.so")));

        Assert.NotNull(other);
        Assert.Equal("CORECLR_PROFILER={11111111-2222-3333-4444-555555555555} (/opt/apm/libapm.so)", other.Name);
    }

    [Fact]
    public void The_64_bit_path_variable_wins_as_it_does_for_the_runtime_and_a_missing_path_names_the_clsid_only()
    {
        var both = OtherProfiler.In(Env(("CORECLR_ENABLE_PROFILING", "1"), ("CORECLR_PROFILER", "{A}"),
            ("CORECLR_PROFILER_PATH", "/opt/apm/any.so"), ("CORECLR_PROFILER_PATH_64", "/opt/apm/x64.so")));
        var none = OtherProfiler.In(Env(("CORECLR_ENABLE_PROFILING", "1"), ("CORECLR_PROFILER", "{A}")));

        Assert.Equal("/opt/apm/x64.so", both!.Path);
        Assert.Equal("CORECLR_PROFILER={A}", none!.Name);
    }

    [Theory]
    [InlineData(null, "{11111111-2222-3333-4444-555555555555}")] // profiling not enabled: the other profiler does not load
    [InlineData("0", "{11111111-2222-3333-4444-555555555555}")]
    [InlineData("1", null)]                                       // enabled without a profiler
    [InlineData("1", "")]
    [InlineData("1", "{8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57}")]   // ours (deep run)
    [InlineData("1", "{8c2a3d6e-5b1f-4e7a-9c3d-2f6b8e1a4d57}")]   // ours, any case
    public void No_other_profiler_unless_one_that_is_not_ours_is_enabled(string? enabled, string? clsid)
    {
        var variables = new List<(string, string)>();
        if (enabled is not null) variables.Add(("CORECLR_ENABLE_PROFILING", enabled));
        if (clsid is not null) variables.Add(("CORECLR_PROFILER", clsid));

        Assert.Null(OtherProfiler.In(Env([.. variables])));
    }

    private enum Colour : short { Red = 3 }

    [Fact]
    public void Values_held_raw_box_to_their_exact_type_and_a_nullable_boxes_to_its_value_or_null()
    {
        var hit = new HitState();
        hit.Begin(ProbeTestSupportIds.Next(), null!, 6);
        hit.Store(42, 0);
        hit.Store<int?>(7, 1);
        hit.Store<int?>(null, 2);
        hit.Store(Colour.Red, 3);
        hit.Store(new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc), 4);
        hit.Store(true, 5);

        Assert.Equal(42, Assert.IsType<int>(hit.GetBoxed(0)));
        Assert.Equal(7, Assert.IsType<int>(hit.GetBoxed(1))); // as C# boxes an int? with a value
        Assert.Null(hit.GetBoxed(2));
        Assert.Equal(Colour.Red, Assert.IsType<Colour>(hit.GetBoxed(3)));
        Assert.Equal(new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc), Assert.IsType<DateTime>(hit.GetBoxed(4)));
        Assert.Equal(true, hit.GetBoxed(5));
        Assert.Equal(typeof(int?), hit.RuntimeTypeOf(1));
        Assert.Equal(42, hit.Get<int>(0));
        Assert.Equal(Colour.Red, hit.Get<Colour>(3));
    }

    private static class ProbeTestSupportIds
    {
        private static int s_next = 900_000;

        public static int Next() => Interlocked.Increment(ref s_next);
    }
}
