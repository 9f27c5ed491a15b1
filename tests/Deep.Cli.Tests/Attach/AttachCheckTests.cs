using System.Collections;
using Deep.Cli.Attach;

namespace Deep.Cli.Tests.Attach;

// What deep attach decides from /proc before it touches a process, on fake /proc trees written here, and which
// settings it hands the agent.
public sealed class AttachCheckTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("deep-fake-proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    private void FakeProcess(int pid, string name, params string[] mappedFiles)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
        File.WriteAllText(Path.Combine(dir, "comm"), name + "\n");
        File.WriteAllLines(Path.Combine(dir, "maps"), mappedFiles.Select((f, i) => $"7f00000{i}000-7f00000{i}fff r-xp 00000000 08:01 {i} {f}"));
        File.WriteAllText(Path.Combine(dir, "environ"), "HOME=/root\0TMPDIR=/var/tmp/x\0");
    }

    [Fact]
    public void A_pid_without_a_proc_entry_is_no_such_process()
    {
        var e = Assert.Throws<AttachException>(() => AttachCommand.Check(77, _proc));

        Assert.Equal(3, e.ExitCode);
        Assert.Equal("there is no process with id 77", e.Message);
    }

    [Fact]
    public void A_process_without_libcoreclr_is_not_dotnet()
    {
        FakeProcess(10, "nginx", "/usr/sbin/nginx", "/usr/lib/x86_64-linux-gnu/libc.so.6");

        var e = Assert.Throws<AttachException>(() => AttachCommand.Check(10, _proc));

        Assert.Equal(4, e.ExitCode);
        Assert.Equal("process 10 (nginx) is not a .NET process (no libcoreclr.so loaded)", e.Message);
    }

    [Fact]
    public void A_runtime_older_than_dotnet_10_is_too_old()
    {
        FakeProcess(11, "dotnet", "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.11/libcoreclr.so");

        var e = Assert.Throws<AttachException>(() => AttachCommand.Check(11, _proc));

        Assert.Equal(5, e.ExitCode);
        Assert.Equal("process 11 runs .NET 8.0.11; the agent needs .NET 10 or later", e.Message);
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
