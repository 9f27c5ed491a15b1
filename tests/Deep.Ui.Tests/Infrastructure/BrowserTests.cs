namespace Deep.Ui.Tests.Infrastructure;

/// <summary>The test harness itself: a machine without Chromium gets told what to do.</summary>
public sealed class BrowserTests
{
    [Fact]
    public async Task Missing_chromium_fails_with_a_message_that_says_to_run_the_prereqs_script()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-chromium-{Guid.NewGuid():N}");
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Browser.LaunchAsync(missing));
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("scripts/prereqs.sh", ex.Message, StringComparison.Ordinal);
    }
}
