using Deep.Agent.Capture;
using Deep.Protocol;

namespace Deep.Agent.Tests.Capture;

/// <summary>The last size check on a whole snapshot before it is sent (issue #12 item 4).</summary>
public class SnapshotSizeTests
{
    private const int Max = 100_000;

    private static Snapshot Snapshot(int frames = 1, int variables = 0, int valueLength = 10, string? logMsg = null, string? trackedArg = null)
    {
        var snapshot = new Snapshot { ID = new byte[16], Tracepoint = new TracePointConfig { ID = "tp", Path = "a.cs", LineNumber = 1 }, LogMsg = logMsg };
        if (trackedArg is not null) snapshot.Tracepoint.Args["note"] = trackedArg;
        for (var f = 0; f < frames; f++) snapshot.Frames.Add(new StackFrame { FileName = "/src/app/File" + f + ".cs", MethodName = "Method" + f, ClassName = "App.Type" + f });
        for (var v = 1; v <= variables; v++)
        {
            var id = v.ToString(System.Globalization.CultureInfo.InvariantCulture);
            snapshot.VarLookup[id] = new Variable { Type = "string", Value = new string('v', valueLength) };
            snapshot.Frames[0].Variables.Add(new VariableID { ID = id, Name = "v" + id });
        }
        return snapshot;
    }

    private static string? Cut(Snapshot snapshot) => snapshot.Attributes.SingleOrDefault(a => a.Key == SnapshotSize.CutAttribute)?.Value?.StringValue;

    [Fact]
    public void A_snapshot_within_the_limit_is_left_as_it_is()
    {
        var snapshot = Snapshot(frames: 10, variables: 10);
        var before = ProtoCodec.Encode(snapshot);
        Assert.True(SnapshotSize.Fit(snapshot, Max, out var size));
        Assert.Equal(before.Length, size);
        Assert.Equal(before, ProtoCodec.Encode(snapshot));
        Assert.Null(Cut(snapshot));
    }

    [Fact]
    public void A_long_log_message_is_cut_first()
    {
        var snapshot = Snapshot(frames: 5, logMsg: new string('m', 200_000));
        Assert.True(SnapshotSize.Fit(snapshot, Max, out var size));
        Assert.True(size <= Max);
        Assert.Equal(SnapshotSize.ShrunkLogChars, snapshot.LogMsg!.Length);
        Assert.Equal(5, snapshot.Frames.Count);
        Assert.EndsWith(": log_msg cut from 200000 characters", Cut(snapshot));
    }

    [Fact]
    public void Then_the_outer_frames_then_long_variable_texts()
    {
        var snapshot = Snapshot(frames: 2000, variables: 60, valueLength: 5000);
        Assert.True(SnapshotSize.Fit(snapshot, Max, out var size));
        Assert.True(size <= Max, $"{size} bytes");
        Assert.Single(snapshot.Frames);
        Assert.All(snapshot.VarLookup.Values, v => Assert.True(v.Value.Length == SnapshotSize.ShrunkValueChars && v.Truncated == true));
        Assert.Equal("1999 outer frame(s) left out; 60 variable text(s) cut to 1024 characters", Cut(snapshot)![(Cut(snapshot)!.IndexOf("): ", StringComparison.Ordinal) + 3)..]);
    }

    [Fact]
    public void At_last_the_variables_lose_their_content_but_keep_their_names_and_types()
    {
        var snapshot = Snapshot(variables: 1000, valueLength: 1000);
        Assert.True(SnapshotSize.Fit(snapshot, Max, out var size));
        Assert.True(size <= Max, $"{size} bytes");
        Assert.Equal(1000, snapshot.Frames[0].Variables.Count);
        Assert.All(snapshot.VarLookup.Values, v => Assert.Equal(("string", "[not captured: snapshot size limit reached]", true), (v.Type, v.Value, v.Truncated)));
        Assert.Contains("the content of all 1000 variable(s) left out", Cut(snapshot));
    }

    [Fact]
    public void A_snapshot_too_large_even_without_its_variables_does_not_fit()
    {
        var snapshot = Snapshot(trackedArg: new string('t', 200_000));
        Assert.False(SnapshotSize.Fit(snapshot, Max, out var size));
        Assert.True(size > Max);
    }
}
