namespace Deep.Profiler.Tests;

// SKELETON: replaced by the issue that builds Deep.Profiler.
public class SkeletonTests
{
    [Fact]
    public void Project_builds() => Assert.Equal("Deep.Profiler.Tests", typeof(SkeletonTests).Assembly.GetName().Name);
}
