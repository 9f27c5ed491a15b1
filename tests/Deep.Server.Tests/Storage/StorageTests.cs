using Deep.Protocol.Grpc;
using Deep.Server.Storage;
using Microsoft.Data.Sqlite;

namespace Deep.Server.Tests.Storage;

public sealed class StorageTests
{
    [Fact]
    public async Task A_new_database_is_in_wal_mode_at_the_current_schema_version_with_a_probe_status_table()
    {
        await using var s = await RunningServer.StartAsync();
        Assert.Equal(DeepDatabase.SchemaVersion, s.Server.Database.ReadSchemaVersion());
        using var connection = s.Server.Database.Open();
        Assert.Equal("wal", DeepDatabase.Scalar(connection, "PRAGMA journal_mode"));
        Assert.Equal(0L, DeepDatabase.Scalar(connection, "SELECT COUNT(*) FROM probe_status"));
    }

    [Fact]
    public void A_version_1_database_is_migrated_forward_keeping_its_data()
    {
        var dir = TempDir.Create();
        var path = Path.Combine(dir, "deep.db");
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            // What version 1 of the schema wrote, by hand.
            DeepDatabase.Execute(c, "CREATE TABLE tracepoints (seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, id TEXT NOT NULL, config BLOB NOT NULL, created_ns INTEGER NOT NULL, UNIQUE (tenant, id));" +
                "CREATE TABLE snapshots (seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, id BLOB NOT NULL, tracepoint_id TEXT NOT NULL, service_name TEXT NOT NULL, file_path TEXT NOT NULL, line_no INTEGER NOT NULL, ts_nanos INTEGER NOT NULL, duration_nanos INTEGER NOT NULL, received_ns INTEGER NOT NULL, data BLOB NOT NULL);" +
                "INSERT INTO tracepoints (tenant, id, config, created_ns) VALUES ('single-tenant', 'old', x'0a036f6c64', 1);" +
                "PRAGMA user_version = 1;");
        }
        var db = new DeepDatabase(dir);
        db.Migrate();
        Assert.Equal(DeepDatabase.SchemaVersion, db.ReadSchemaVersion());
        var loaded = new TracepointStore(db).LoadAll();
        Assert.Equal("old", Assert.Single(loaded).Config.ID);
    }

    [Fact]
    public void A_database_from_a_newer_build_is_refused()
    {
        var dir = TempDir.Create();
        using (var c = new SqliteConnection($"Data Source={Path.Combine(dir, "deep.db")};Pooling=False"))
        {
            c.Open();
            DeepDatabase.Execute(c, "PRAGMA user_version = 99");
        }
        var ex = Assert.Throws<InvalidOperationException>(() => new DeepDatabase(dir).Migrate());
        Assert.Contains("newer", ex.Message);
    }

    [Fact]
    public async Task Max_snapshots_keeps_only_the_newest_in_the_background()
    {
        await using var s = await RunningServer.StartAsync(o =>
        {
            o.MaxSnapshots = 3;
            o.RetentionInterval = TimeSpan.FromMilliseconds(100);
        });
        var sent = new List<byte[]>();
        for (var i = 0; i < 6; i++)
        {
            var x = Samples.Snapshot();
            sent.Add(x.ID.ToByteArray());
            Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.SendSnapshot, x)).Status);
        }
        await Eventually.TrueAsync(() => s.Server.Snapshots.Count() == 3, because: "retention by count");
        Assert.All(sent[3..], id => Assert.NotNull(s.Server.Snapshots.Get("single-tenant", id)));
        Assert.All(sent[..3], id => Assert.Null(s.Server.Snapshots.Get("single-tenant", id)));
    }

    [Fact]
    public async Task Retention_deletes_snapshots_older_than_the_limit_in_the_background()
    {
        await using var s = await RunningServer.StartAsync(o =>
        {
            o.Retention = TimeSpan.FromSeconds(1);
            o.RetentionInterval = TimeSpan.FromMilliseconds(100);
        });
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.SendSnapshot, Samples.Snapshot())).Status);
        Assert.Equal(1, s.Server.Snapshots.Count());
        await Eventually.TrueAsync(() => s.Server.Snapshots.Count() == 0, because: "retention by age");
    }
}
