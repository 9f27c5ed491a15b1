using Deep.Profiler.Engine;

namespace Deep.Profiler.Tests.Engine;

/// <summary>Which modules the profiler keeps out of dynamic methods: the application's, never the framework's.</summary>
public class FrameworkFilesTests
{
    private const string SharedCoreLib = "/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.1/System.Private.CoreLib.dll";

    [Theory]
    [InlineData(SharedCoreLib, "/usr/share/dotnet/shared/")]
    [InlineData("/root/.dotnet/shared/Microsoft.NETCore.App/8.0.11/System.Private.CoreLib.dll", "/root/.dotnet/shared/")]
    [InlineData("/app/System.Private.CoreLib.dll", "/app/")] // self-contained: the framework is the app's directory
    [InlineData("/opt/shared/System.Private.CoreLib.dll", "/opt/shared/")] // a directory named shared, one level only
    [InlineData("/System.Private.CoreLib.dll", "/")]
    public void The_framework_root_comes_from_CoreLibs_directory(string coreLib, string root) =>
        Assert.Equal(root, FrameworkFiles.RootOf(coreLib));

    [Theory]
    [InlineData("")]
    [InlineData("System.Private.CoreLib.dll")]
    public void Without_a_directory_there_is_no_framework_root(string coreLib) =>
        Assert.Null(FrameworkFiles.RootOf(coreLib));

    [Theory]
    [InlineData("/srv/webshop/WebShop.dll", true)]
    [InlineData("/usr/share/dotnet/shared-apps/Tool.dll", true)] // a sibling whose name starts like the root
    [InlineData("/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.1/System.Linq.Expressions.dll", false)]
    [InlineData("/usr/share/dotnet/shared/Microsoft.AspNetCore.App/10.0.1/Microsoft.AspNetCore.Mvc.Core.dll", false)]
    [InlineData("", false)] // an in-memory module
    public void Application_modules_are_those_outside_the_shared_framework(string path, bool application) =>
        Assert.Equal(application, FrameworkFiles.IsApplicationPath(path, FrameworkFiles.RootOf(SharedCoreLib)!));

    [Fact]
    public void In_a_self_contained_app_nothing_counts_as_application()
    {
        var root = FrameworkFiles.RootOf("/app/System.Private.CoreLib.dll")!;
        Assert.False(FrameworkFiles.IsApplicationPath("/app/WebShop.dll", root));
        Assert.True(FrameworkFiles.IsApplicationPath("/plugins/Plugin.dll", root));
    }
}
