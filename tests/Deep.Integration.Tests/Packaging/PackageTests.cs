using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Packaging;

// deep-dotnet as a user gets it, from the packages only (docs/install.md): scripts/pack.sh into a temporary folder,
// the tool installed from there into a folder outside the repository, `deep server` started from the installed
// tool, and applications generated and built at test time (not from this repository's sources) run with the agent
// in the four ways a user can: the installed `deep run`, `env $(deep env ...)` without the wrapper, the installed
// `deep attach` into an app started plainly, and DeepAgent.Start() from the Deep.Agent package in an app published
// self-contained and copied elsewhere.
[Collection(EndToEndCollection.Name)]
public sealed class PackageTests(PackageTests.Installed installed) : IClassFixture<PackageTests.Installed>
{
    // The generated app's work method: the tracepoint line is the one marked, by its number in the generated file.
    private const string WorkSource = """
        using System;

        public static class Work
        {
            public static string Run(int n)
            {
                var doubled = n * 2;
                var label = "n=" + n;
                return label + " doubled " + doubled + " (" + label + ")"; // @tracepoint (label used twice: a Release build keeps it in a local)
            }
        }
        """;

    private const string LoopSource = """
        using System;

        public static class Loop
        {
            // Reads "work N" lines and answers "ok work <result>", as the repository's test app does.
            public static int Run()
            {
                Console.WriteLine("ready");
                string? line;
                while ((line = Console.ReadLine()) != null)
                {
                    var parts = line.Split(' ');
                    if (parts[0] == "work")
                        Console.WriteLine("ok work " + Work.Run(int.Parse(parts[1])));
                }
                return 0;
            }
        }
        """;

    private static readonly int TracepointLine = WorkSource.Split('\n').ToList().FindIndex(l => l.Contains("// @tracepoint", StringComparison.Ordinal)) + 1;

    [Fact]
    public async Task The_installed_tool_says_the_packages_version()
    {
        var (code, output) = await Exec.RunAsync(installed.Deep, ["--version"], workingDirectory: installed.Root);

        Assert.True(code == 0, output);
        Assert.Equal(installed.Version, output.Trim());
    }

    [Fact]
    public async Task Deep_run_of_the_installed_tool_loads_the_agent_into_an_app_built_elsewhere()
    {
        var app = await installed.ConsoleAppAsync();
        var info = new ProcessStartInfo(installed.Deep) { WorkingDirectory = installed.Root };
        foreach (var argument in new[] { "run", "--server", installed.GrpcUrl, "--service-name", "pack-run", "--", "dotnet", app })
            info.ArgumentList.Add(argument);
        await AssertTracepointFiresAsync(info, "pack-run", 21);
    }

    [Fact]
    public async Task Env_of_deep_env_loads_the_agent_without_the_wrapper()
    {
        var app = await installed.ConsoleAppAsync();
        // The command a user types: env $(deep env --format env ...) dotnet App.dll (word splitting included).
        var info = new ProcessStartInfo("bash") { WorkingDirectory = installed.Root };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec env $(\"$DEEP\" env --format env --server \"$URL\" --service-name pack-env) dotnet \"$APP\"");
        info.Environment["DEEP"] = installed.Deep;
        info.Environment["URL"] = installed.GrpcUrl;
        info.Environment["APP"] = app;
        await AssertTracepointFiresAsync(info, "pack-env", 22);
    }

    [Fact]
    public async Task Deep_attach_of_the_installed_tool_brings_the_agent_into_a_running_app()
    {
        var app = await installed.ConsoleAppAsync();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = installed.Root };
        info.ArgumentList.Add(app);
        foreach (var name in new[] { "DOTNET_STARTUP_HOOKS", "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH" })
            info.Environment.Remove(name);
        await AssertTracepointFiresAsync(info, "pack-attach", 24, async running =>
        {
            // The installed tool's own agent folder and its diagnostics client package: nothing from the repository.
            var (code, output) = await Exec.RunAsync(installed.Deep,
                ["attach", running.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--server", installed.GrpcUrl, "--service-name", "pack-attach"],
                workingDirectory: installed.Root, timeout: TimeSpan.FromMinutes(2));
            Assert.True(code == 0, $"the installed deep attach exited {code}:\n{output}\n{running.Tail}");
            Assert.Contains($"attached to process {running.Id} (dotnet): agent started with the profiler engine", output, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task DeepAgent_Start_from_the_package_in_a_self_contained_app_copied_elsewhere()
    {
        var app = await installed.SelfStartingAppAsync();
        var info = new ProcessStartInfo(app) { WorkingDirectory = Path.GetDirectoryName(app)! };
        info.ArgumentList.Add(installed.GrpcUrl);
        // Nothing from a deep run or a developer's shell: the app attaches its profiler itself.
        foreach (var name in new[] { "DOTNET_STARTUP_HOOKS", "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH", "DEEP_PROFILER_PATH", "DEEP_ROOT" })
            info.Environment.Remove(name);
        await AssertTracepointFiresAsync(info, "pack-start", 23);
    }

    // Starts the app (then runs `started` on it, if given), sets a tracepoint on the work line for its service only,
    // and calls the work until the snapshot arrives (the agent installs the tracepoint after its next poll); the snapshot has the line's values. The first
    // snapshot of a process pays for compiling the agent's capture code and, on a loaded machine, can run over the
    // capture time budget ("[not captured: time budget exceeded]"): the tracepoint fires on every call until one
    // snapshot has the values, and that one is checked.
    private async Task AssertTracepointFiresAsync(ProcessStartInfo info, string service, int n, Func<DeepRunProcess, Task>? started = null)
    {
        using var api = new DeepApi(installed.HttpAddress);
        var id = await api.CreateAsync("Work.cs", TracepointLine, new Dictionary<string, string> { ["fire_count"] = "-1", ["fire_period"] = "0" });
        var expected = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await using var app = DeepRunProcess.Start(info);
            app.WaitReady();
            if (started is not null)
                await started(app);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            List<Snapshot> snapshots = [];
            Snapshot? snapshot = null;
            while (DateTime.UtcNow < deadline && snapshot is null)
            {
                Assert.Equal($"n={n} doubled {n * 2} (n={n})", app.Call("work", n));
                snapshots = (await api.SnapshotsAsync(id)).Where(s => s.Resource("service.name") == service).ToList();
                snapshot = snapshots.FirstOrDefault(s => s.Value("n") == expected);
                if (snapshot is null)
                    await Task.Delay(250);
            }
            Assert.True(snapshot is not null, $"no snapshot with the values from {service} within 3 minutes ({snapshots.Count} without: {snapshots.LastOrDefault()})\n{app.Tail}");
            Assert.Equal(TracepointLine, snapshot.LineNumber);
            Assert.Equal((n * 2).ToString(System.Globalization.CultureInfo.InvariantCulture), snapshot.Value("doubled"));
            Assert.Equal($"n={n}", snapshot.Value("label"));
            Assert.Equal(installed.Version, snapshot.Resource("telemetry.sdk.version"));
        }
        finally
        {
            await api.DeleteAsync(id);
        }
    }

    /// <summary>
    /// Packs (reusing the Release build <c>./test.sh</c> made), installs the tool outside the repository and starts its
    /// server, once for the class; removes everything at the end.
    /// </summary>
    public sealed class Installed : IAsyncLifetime
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private Process? _server;
        private string? _consoleApp;
        private string? _selfStartingApp;

        public string Root { get; } = Directory.CreateTempSubdirectory("deep-package-test-").FullName;

        public string Feed => Path.Combine(Root, "feed");

        public string Deep => Path.Combine(Root, "tool", "deep");

        public string Version { get; private set; } = "";

        public string GrpcUrl { get; private set; } = "";

        public Uri HttpAddress { get; private set; } = new("http://127.0.0.1");

        /// <summary>What packing took, for the report: pack.sh with --no-build after the solution's Release build.</summary>
        public TimeSpan PackTime { get; private set; }

        public async Task InitializeAsync()
        {
            var watch = Stopwatch.StartNew();
            // --no-build: the tests run from the Release build of the solution (./test.sh builds it first).
            var build = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "--no-build" : "";
            var (code, output) = await Exec.RunAsync("bash", [Repo.Path("scripts", "pack.sh"), "--out", Feed, .. build.Length > 0 ? new[] { build } : []],
                timeout: TimeSpan.FromMinutes(20));
            Assert.True(code == 0, "scripts/pack.sh failed:\n" + output);
            PackTime = watch.Elapsed;
            Console.WriteLine($"package test: scripts/pack.sh {build} took {PackTime.TotalSeconds:F0} s");

            var tool = Directory.GetFiles(Feed, "deep-dotnet.*.nupkg").Single();
            Version = Path.GetFileNameWithoutExtension(tool)["deep-dotnet.".Length..];
            Assert.Single(Directory.GetFiles(Feed, $"Deep.Agent.{Version}.nupkg"));
            Assert.Single(Directory.GetFiles(Feed, $"deep-agent-{Version}-linux-x64.tar.gz"));

            (code, output) = await Exec.RunAsync("dotnet", ["tool", "install", "--tool-path", Path.Combine(Root, "tool"), "deep-dotnet", "--version", Version, "--add-source", Feed],
                workingDirectory: Root, environment: NuGetEnvironment(), timeout: TimeSpan.FromMinutes(10));
            Assert.True(code == 0, "dotnet tool install failed:\n" + output);

            var (grpcPort, httpPort) = (FreePort(), FreePort());
            var info = new ProcessStartInfo(Deep)
            {
                WorkingDirectory = Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "server", "--grpc-port", $"{grpcPort}", "--http-port", $"{httpPort}", "--data", Path.Combine(Root, "data") })
                info.ArgumentList.Add(argument);
            _server = Process.Start(info)!;
            var ready = new TaskCompletionSource();
            var log = new System.Text.StringBuilder();
            _server.OutputDataReceived += (_, e) =>
            {
                lock (log) log.AppendLine(e.Data);
                if (e.Data?.Contains("ready", StringComparison.Ordinal) == true) ready.TrySetResult();
            };
            _server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            _server.BeginOutputReadLine();
            _server.BeginErrorReadLine();
            var started = await Task.WhenAny(ready.Task, _server.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(2)));
            lock (log) Assert.True(started == ready.Task, "the installed deep server did not start:\n" + log);
            GrpcUrl = $"http://127.0.0.1:{grpcPort}";
            HttpAddress = new Uri($"http://127.0.0.1:{httpPort}");
        }

        /// <summary>A console app generated and built here (framework-dependent, net10.0): its dll.</summary>
        public async Task<string> ConsoleAppAsync()
        {
            await _gate.WaitAsync();
            try
            {
                return _consoleApp ??= await CreateAppAsync("PlainApp", """
                    <Project Sdk="Microsoft.NET.Sdk">
                      <PropertyGroup>
                        <OutputType>Exe</OutputType>
                        <TargetFramework>net10.0</TargetFramework>
                        <Nullable>enable</Nullable>
                      </PropertyGroup>
                    </Project>
                    """, "return Loop.Run();", ["build", "-c", "Release", "-o", "out"], "out/PlainApp.dll");
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>
        /// An app that references Deep.Agent from the feed and calls DeepAgent.Start(), published self-contained for
        /// .NET 8 and copied to another folder (the publish folder is deleted): its executable.
        /// </summary>
        public async Task<string> SelfStartingAppAsync()
        {
            await _gate.WaitAsync();
            try
            {
                if (_selfStartingApp is null)
                {
                    var published = await CreateAppAsync("SelfStart", $"""
                        <Project Sdk="Microsoft.NET.Sdk">
                          <PropertyGroup>
                            <OutputType>Exe</OutputType>
                            <TargetFramework>net8.0</TargetFramework>
                            <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
                            <SelfContained>true</SelfContained>
                            <Nullable>enable</Nullable>
                          </PropertyGroup>
                          <ItemGroup>
                            <PackageReference Include="Deep.Agent" Version="{Version}" />
                          </ItemGroup>
                        </Project>
                        """, """
                        using Deep.Agent;
                        if (!DeepAgent.Start(new DeepAgentOptions { ServiceUrl = args[0], ServiceName = "pack-start" }))
                            return 3;
                        var code = Loop.Run();
                        DeepAgent.Shutdown();
                        return code;
                        """, ["publish", "-c", "Release", "-o", "publish"], "publish/SelfStart");
                    var from = Path.GetDirectoryName(published)!;
                    var to = Path.Combine(Root, "elsewhere", "SelfStart");
                    Copy(from, to);
                    Directory.Delete(Path.GetDirectoryName(from)!, recursive: true);
                    Assert.True(File.Exists(Path.Combine(to, "Deep.Profiler.so")), "the SDK did not copy the package's profiler next to the app");
                    _selfStartingApp = Path.Combine(to, "SelfStart");
                }
                return _selfStartingApp;
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task<string> CreateAppAsync(string name, string project, string main, string[] build, string output)
        {
            var dir = Path.Combine(Root, "apps", name);
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, name + ".csproj"), project);
            await File.WriteAllTextAsync(Path.Combine(dir, "Program.cs"), main);
            await File.WriteAllTextAsync(Path.Combine(dir, "Loop.cs"), LoopSource);
            await File.WriteAllTextAsync(Path.Combine(dir, "Work.cs"), WorkSource);
            // The feed next to the usual sources (a nuget.config here adds to the user's); no global.json, no
            // Directory.Build.props: nothing of the repository.
            await File.WriteAllTextAsync(Path.Combine(dir, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="deep-package-test" value="{Feed}" />
                  </packageSources>
                </configuration>
                """);
            var (code, text) = await Exec.RunAsync("dotnet", [.. build, "-nologo"], workingDirectory: dir, environment: NuGetEnvironment(), timeout: TimeSpan.FromMinutes(15));
            Assert.True(code == 0, $"building the generated app {name} failed:\n{text}");
            return Path.Combine(dir, output);
        }

        // The packages restored for these apps go to a folder of this test, not the user's global folder, where a
        // Deep.Agent of the same version from an earlier run would be taken instead of the one just packed. The
        // user's folder is a read-only fallback for everything else (runtime packs), unless it holds a Deep.Agent.
        private Dictionary<string, string> NuGetEnvironment()
        {
            var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Root, "packages") };
            var global = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
                ? set : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            if (Directory.Exists(global) && !Directory.Exists(Path.Combine(global, "deep.agent")) && !Directory.Exists(Path.Combine(global, "deep-dotnet")))
                environment["NUGET_FALLBACK_PACKAGES"] = global;
            return environment;
        }

        private static void Copy(string from, string to)
        {
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(to, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, File.GetUnixFileMode(file));
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public async Task DisposeAsync()
        {
            if (_server is { HasExited: false })
            {
                _server.Kill(entireProcessTree: true);
                await _server.WaitForExitAsync();
            }
            _server?.Dispose();
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // a file still held by an exiting process: the temporary folder is left behind
            }
        }
    }
}
