namespace Deep.Server.Tests;

// SKELETON: replaced by the issue that builds Deep.Server.
public class SkeletonTests
{
    [Fact]
    public void Project_builds() => Assert.Equal("Deep.Server.Tests", typeof(SkeletonTests).Assembly.GetName().Name);
}
