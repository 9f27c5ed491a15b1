namespace Deep.Agent.Tests;

// SKELETON: replaced by the issue that builds Deep.Agent.
public class SkeletonTests
{
    [Fact]
    public void Project_builds() => Assert.Equal("Deep.Agent.Tests", typeof(SkeletonTests).Assembly.GetName().Name);
}
