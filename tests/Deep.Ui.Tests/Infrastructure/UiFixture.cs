namespace Deep.Ui.Tests.Infrastructure;

/// <summary>One server, one browser and one agent sender shared by the tests of a collection.</summary>
public sealed class UiFixture : IAsyncLifetime
{
    internal DeepServerProcess Server { get; private set; } = null!;
    internal Browser Browser { get; private set; } = null!;
    internal AgentSender Agent { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Browser = await Browser.LaunchAsync();
        Agent = await AgentSender.CreateAsync();
        Server = await DeepServerProcess.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        Agent?.Dispose();
        if (Browser is not null) await Browser.DisposeAsync();
    }
}

/// <summary>The tests that share a <see cref="UiFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class UiCollection : ICollectionFixture<UiFixture>
{
    public const string Name = "ui";
}
