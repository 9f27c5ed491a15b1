using Deep.Agent.Capture;

namespace Deep.Agent.Tests.Capture;

public class CaptureLimitsTests
{
    [Fact]
    public void Defaults_are_the_spec_values()
    {
        var d = CaptureLimits.Default;
        Assert.Equal((5, 1000, 10, 1024, 100), (d.MaxDepth, d.MaxVariables, d.MaxCollectionSize, d.MaxStringLength, d.MaxTimeMs));
    }

    [Fact]
    public void Tracepoint_arguments_override_the_limits()
    {
        var args = new Dictionary<string, string>
        {
            ["MAX_VAR_DEPTH"] = "2", ["MAX_VARIABLES"] = "50", ["MAX_COLLECTION_SIZE"] = "3", ["MAX_STRING_LENGTH"] = "16",
            ["MAX_TP_PROCESS_TIME"] = "20", ["fire_count"] = "5",
        };
        Assert.Equal(new CaptureLimits(2, 50, 3, 16, 20), CaptureLimits.Default.WithOverrides(args));
    }

    [Fact]
    public void Invalid_overrides_keep_the_current_value_and_are_listed()
    {
        var args = new Dictionary<string, string> { ["MAX_VAR_DEPTH"] = "deep", ["MAX_VARIABLES"] = "-1", ["MAX_STRING_LENGTH"] = " 64 " };
        var limits = CaptureLimits.Default.WithOverrides(args);
        Assert.Equal(5, limits.MaxDepth);
        Assert.Equal(1000, limits.MaxVariables);
        Assert.Equal(64, limits.MaxStringLength);
        Assert.Equal(["MAX_VAR_DEPTH=deep", "MAX_VARIABLES=-1"], CaptureLimits.Invalid(args));
    }

    [Fact]
    public void Overridden_limits_change_what_is_captured()
    {
        var limits = CaptureLimits.Default.WithOverrides(new Dictionary<string, string> { ["MAX_COLLECTION_SIZE"] = "2", ["MAX_TP_PROCESS_TIME"] = "10000" });
        var collector = new VariableCollector(limits, Redactor.Default);
        var v = collector.VarLookup[collector.Capture("list", new List<int> { 1, 2, 3 }, typeof(List<int>)).ID];
        Assert.Equal(2, v.Children.Count);
        Assert.True(v.Truncated);
    }
}
