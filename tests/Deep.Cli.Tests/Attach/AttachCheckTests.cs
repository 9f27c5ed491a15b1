using System.Collections;
using Deep.Cli.Attach;
using Deep.Cli.Common;

namespace Deep.Cli.Tests.Attach;

// What deep attach decides from /proc before it touches a process, on fake /proc trees written here, and which
// settings it hands the agent.
public sealed class AttachCheckTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("deep-fake-proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    private void FakeProcess(int pid, string name, params string[] mappedFiles) =>
        FakeProcessWithEnvironment(pid, name, "HOME=/root\0TMPDIR=/var/tmp/x\0", mappedFiles);

    private void FakeProcessWithEnvironment(int pid, string name, string environ, params string[] mappedFiles)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
        File.WriteAllText(Path.Combine(dir, "comm"), name + "\n");
        File.WriteAllLines(Path.Combine(dir, "maps"), mappedFiles.Select((f, i) => $"7f00000{i}000-7f00000{i}fff r-xp 00000000 08:01 {i} {f}"));
        File.WriteAllText(Path.Combine(dir, "environ"), environ);
    }

    [Fact]
    public void Client_data_is_key_value_lines_and_a_value_with_a_line_break_is_refused_by_name()
    {
        var bytes = AttachCommand.EncodeClientData([new("agent", "/x/Deep.Agent.dll"), new("DEEP_SERVICE_URL", "http://h:1")]);

        Assert.Equal("agent=/x/Deep.Agent.dll\nDEEP_SERVICE_URL=http://h:1\n", System.Text.Encoding.UTF8.GetString(bytes));
        var e = Assert.Throws<CliException>(() => AttachCommand.EncodeClientData([new("DEEP_SERVICE_NAME", "two\nlines")]));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("DEEP_SERVICE_NAME", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pid_without_a_proc_entry_is_no_such_process()
    {
        var e = Assert.Throws<CliException>(() => AttachCommand.Check(77, _proc));

        Assert.Equal(ExitCodes.NotFound, e.ExitCode);
        Assert.Equal("there is no process with id 77", e.Message);
    }

    [Fact]
    public void A_process_without_libcoreclr_is_not_dotnet()
    {
        FakeProcess(10, "nginx", "/usr/sbin/nginx", "/usr/lib/x86_64-linux-gnu/libc.so.6");

        var e = Assert.Throws<CliException>(() => AttachCommand.Check(10, _proc));

        Assert.Equal(ExitCodes.NotDotNet, e.ExitCode);
        Assert.Equal("process 10 (nginx) is not a .NET process (no libcoreclr.so loaded)", e.Message);
    }

    [Theory]
    [InlineData("7.0.20", "process 11 runs .NET 7.0.20; the agent needs .NET 8 or later")]
    [InlineData("6.0.36", "process 11 runs .NET 6.0.36; the agent needs .NET 8 or later")]
    [InlineData("11.0.0", "process 11 runs .NET 11.0.0; deep supports .NET 8 to 10")]
    public void A_runtime_outside_dotnet_8_to_10_is_refused(string version, string message)
    {
        FakeProcess(11, "dotnet", $"/usr/share/dotnet/shared/Microsoft.NETCore.App/{version}/libcoreclr.so");

        var e = Assert.Throws<CliException>(() => AttachCommand.Check(11, _proc));

        Assert.Equal(ExitCodes.UnsupportedRuntime, e.ExitCode);
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("8.0.11")]
    [InlineData("9.0.20")]
    public void Dotnet_8_and_9_processes_pass(string version)
    {
        FakeProcess(14, "dotnet", $"/usr/share/dotnet/shared/Microsoft.NETCore.App/{version}/libcoreclr.so");

        Assert.Equal(Version.Parse(version), AttachCommand.Check(14, _proc).RuntimeVersion);
    }

    [Fact]
    public void A_self_contained_app_s_runtime_version_comes_from_its_runtimeconfig()
    {
        var app = Directory.CreateDirectory(Path.Combine(_proc, "app")).FullName;
        File.WriteAllText(Path.Combine(app, "Shop.runtimeconfig.json"),
            "{\"runtimeOptions\":{\"tfm\":\"net7.0\",\"includedFrameworks\":[{\"name\":\"Microsoft.NETCore.App\",\"version\":\"7.0.20\"}]}}");
        FakeProcess(15, "Shop", Path.Combine(app, "libcoreclr.so"));

        var e = Assert.Throws<CliException>(() => AttachCommand.Check(15, _proc));

        Assert.Equal(ExitCodes.UnsupportedRuntime, e.ExitCode);
        Assert.Equal("process 15 runs .NET 7.0.20; the agent needs .NET 8 or later", e.Message);
    }

    [Fact]
    public void A_process_started_with_another_clr_profiler_is_refused_naming_it()
    {
        FakeProcessWithEnvironment(16, "Shop",
            "HOME=/root\0CORECLR_ENABLE_PROFILING=1\0CORECLR_PROFILER={B4C89B0F-9908-4F73-9F59-0D77C5A06874}\0CORECLR_PROFILER_PATH=/opt/apm/libapm.so\0",
            "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libcoreclr.so");

        var e = Assert.Throws<CliException>(() => AttachCommand.Check(16, _proc));

        Assert.Equal(ExitCodes.ProfilerConflict, e.ExitCode);
        Assert.Equal("process 16 was started with another CLR profiler (CORECLR_PROFILER={B4C89B0F-9908-4F73-9F59-0D77C5A06874} (/opt/apm/libapm.so)) "
            + "and a process loads only one: deep cannot attach; restart it without that profiler's CORECLR_* variables to use deep", e.Message);
    }

    [Fact]
    public void A_process_whose_profiling_variables_name_the_deep_profiler_is_not_another_profiler()
    {
        FakeProcessWithEnvironment(17, "Shop",
            "CORECLR_ENABLE_PROFILING=1\0CORECLR_PROFILER={8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57}\0",
            "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libcoreclr.so");

        Assert.Null(AttachCommand.Check(17, _proc).OtherProfiler);
    }

    [Fact]
    public void A_process_with_the_deep_profiler_mapped_is_noted_but_left_to_the_runtime_to_refuse()
    {
        // Mapped is not active: after a refused attach the pinned library stays mapped.
        FakeProcess(12, "dotnet", "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libcoreclr.so", "/opt/deep/Deep.Profiler.so");

        var target = AttachCommand.Check(12, _proc);

        Assert.True(target.ProfilerLoaded);
    }

    [Fact]
    public void A_dotnet_10_process_passes_with_its_version_and_tmpdir()
    {
        FakeProcess(13, "Shop", "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/libcoreclr.so");

        var target = AttachCommand.Check(13, _proc);

        Assert.Equal(new Version(10, 0, 12), target.RuntimeVersion);
        Assert.Equal("/var/tmp/x", target.TempDirectory);
        Assert.Equal("Shop", target.Name);
    }

    [Fact]
    public void The_agent_gets_this_commands_deep_settings_with_the_options_on_top_but_not_the_cli_s_own_variables()
    {
        IDictionary environment = new Hashtable
        {
            ["DEEP_DEBUG"] = "true",
            ["DEEP_SERVICE_URL"] = "http://from-env:1",
            ["DEEP_ROOT"] = "/repo",
            ["DEEP_PROFILER_LOG"] = "/tmp/x.log",
            ["PATH"] = "/usr/bin",
        };

        var settings = AttachCommand.Settings(new AttachOptions(1, "http://option:2", "orders", TimeSpan.FromSeconds(1)), environment).ToList();

        Assert.Equal([("DEEP_DEBUG", "true"), ("DEEP_SERVICE_NAME", "orders"), ("DEEP_SERVICE_URL", "http://option:2")], settings);
    }
}
