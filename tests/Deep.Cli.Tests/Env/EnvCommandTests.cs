using Deep.Cli.Common;
using Deep.Cli.Run;

namespace Deep.Cli.Tests.Env;

// `deep env`: the variables deep run sets, printed for a shell, env(1), a Dockerfile or a Kubernetes container, for an
// agent folder given with --agent-dir (where the program will run). The files found without --agent-dir are covered
// end to end by the package test (tests/Deep.Integration.Tests/Packaging).
public sealed class EnvCommandTests
{
    private static async Task<(int Code, string Out, string Error)> Deep(params string[] args)
    {
        var console = new BufferedConsole();
        var code = await Program.RunAsync(["env", .. args], console, CancellationToken.None);
        return (code, console.OutText, console.ErrorText);
    }

    [Fact]
    public async Task Shell_form_exports_the_loader_profiler_and_server_for_eval()
    {
        var (code, output, error) = await Deep("--agent-dir", "/opt/deep-agent/", "--server", "http://deep:43315", "--service-name", "shop's api");

        Assert.True(code == 0, error);
        Assert.Equal(
            "export DOTNET_STARTUP_HOOKS='/opt/deep-agent/Deep.Agent.Loader.dll'\n"
            + "export CORECLR_ENABLE_PROFILING='1'\n"
            + $"export CORECLR_PROFILER='{RunCommand.ProfilerClsid}'\n"
            + "export CORECLR_PROFILER_PATH='/opt/deep-agent/Deep.Profiler.so'\n"
            + "export DEEP_SERVICE_URL='http://deep:43315'\n"
            + "export DEEP_SERVICE_NAME='shop'\\''s api'\n",
            output);
    }

    [Fact]
    public async Task Env_form_is_plain_name_value_lines()
    {
        var (code, output, _) = await Deep("--agent-dir", "/opt/deep-agent", "--format", "env");

        Assert.Equal(0, code);
        Assert.Equal(
            "DOTNET_STARTUP_HOOKS=/opt/deep-agent/Deep.Agent.Loader.dll\nCORECLR_ENABLE_PROFILING=1\n"
            + $"CORECLR_PROFILER={RunCommand.ProfilerClsid}\nCORECLR_PROFILER_PATH=/opt/deep-agent/Deep.Profiler.so\n",
            output);
    }

    [Fact]
    public async Task Env_form_refuses_a_value_it_cannot_carry()
    {
        var (code, _, error) = await Deep("--agent-dir", "/opt/deep-agent", "--format", "env", "--service-name", "two words");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("DEEP_SERVICE_NAME='two words' has a space in it", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dockerfile_form_is_ENV_lines()
    {
        var (code, output, _) = await Deep("--agent-dir", "/opt/deep-agent", "--format", "dockerfile", "--server", "http://deep:43315");

        Assert.Equal(0, code);
        Assert.Equal(
            "ENV DOTNET_STARTUP_HOOKS=\"/opt/deep-agent/Deep.Agent.Loader.dll\"\nENV CORECLR_ENABLE_PROFILING=\"1\"\n"
            + $"ENV CORECLR_PROFILER=\"{RunCommand.ProfilerClsid}\"\nENV CORECLR_PROFILER_PATH=\"/opt/deep-agent/Deep.Profiler.so\"\n"
            + "ENV DEEP_SERVICE_URL=\"http://deep:43315\"\n",
            output);
    }

    [Fact]
    public async Task Kubernetes_form_is_a_containers_env_list()
    {
        var (code, output, _) = await Deep("--agent-dir", "/deep", "--format", "kubernetes", "--service-name", "say \"hi\"");

        Assert.Equal(0, code);
        Assert.StartsWith("env:\n  - name: DOTNET_STARTUP_HOOKS\n    value: \"/deep/Deep.Agent.Loader.dll\"\n", output, StringComparison.Ordinal);
        Assert.Contains($"  - name: CORECLR_PROFILER\n    value: \"{RunCommand.ProfilerClsid}\"\n", output, StringComparison.Ordinal);
        Assert.EndsWith("  - name: DEEP_SERVICE_NAME\n    value: \"say \\\"hi\\\"\"\n", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deep-agent", "is not an absolute path")]
    [InlineData("", "is not an absolute path")]
    [InlineData("/opt/deep agent", "has a space, quote")]
    [InlineData("/opt/$HOME", "has a space, quote")]
    [InlineData("/opt/a:b", "has a space, quote")]
    public async Task A_bad_agent_dir_is_a_usage_error(string agentDir, string message)
    {
        var (code, output, error) = await Deep("--agent-dir", agentDir);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--format", "yaml")]
    [InlineData("--server", "ftp://deep:43315")]
    [InlineData("--server", "http://deep:43315/path")]
    public async Task Bad_options_are_usage_errors(string option, string value)
    {
        var (code, output, _) = await Deep("--agent-dir", "/opt/deep-agent", option, value);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
    }
}
