using Deep.Agent.Native;

namespace Deep.Agent.Tests.Native;

// Where DeepAgent.Start() looks for the profiler when DEEP_PROFILER_PATH is not set: next to the agent (deep run's
// folder, the tarball, a publish with a runtime identifier, where the SDK copies the Deep.Agent package's native
// asset), under runtimes/linux-x64/native (a build or a publish without one), then the same in the app's folder.
public sealed class SelfAttachTests
{
    [Fact]
    public void The_profiler_is_looked_for_next_to_the_agent_then_under_runtimes_then_in_the_app_folder()
    {
        Assert.Equal(
            [
                "/app/lib/Deep.Profiler.so", "/app/lib/runtimes/linux-x64/native/Deep.Profiler.so",
                "/app/Deep.Profiler.so", "/app/runtimes/linux-x64/native/Deep.Profiler.so",
            ],
            SelfAttach.Candidates("/app/lib", "/app/"));
    }

    [Fact]
    public void An_agent_in_the_app_folder_is_looked_for_once()
    {
        Assert.Equal(["/app/Deep.Profiler.so", "/app/runtimes/linux-x64/native/Deep.Profiler.so"], SelfAttach.Candidates("/app", "/app/"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void A_single_file_app_without_an_agent_location_looks_in_the_app_folder(string? agentDirectory)
    {
        Assert.Equal(["/srv/Deep.Profiler.so", "/srv/runtimes/linux-x64/native/Deep.Profiler.so"], SelfAttach.Candidates(agentDirectory, "/srv"));
    }
}
