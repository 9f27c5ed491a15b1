namespace Deep.Integration.Tests.Infrastructure;

/// <summary>
/// Every end-to-end test runs in this one collection: one at a time (2 noisy cores), sharing the started apps,
/// which are stopped when the collection ends.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndFixture>
{
    public const string Name = "end to end";
}

/// <summary>Stops the shared apps and servers at the end of the run.</summary>
public sealed class EndToEndFixture : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => AppSession.DisposeAllAsync();
}
