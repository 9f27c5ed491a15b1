using Microsoft.Data.Sqlite;

namespace Deep.Server.Storage;

/// <summary>
/// The SQLite file behind the server: WAL journal with <c>synchronous=NORMAL</c>, and a schema versioned by
/// <c>PRAGMA user_version</c> with one migration per version, applied in order at start. In WAL mode a commit that
/// returned has written its pages to the WAL file through the kernel, so an acknowledged send survives the process
/// being killed (<c>kill -9</c>, a crash); only an OS crash or power loss can take the last commits before the next
/// checkpoint. <c>FULL</c> would fsync every commit, which on this class of disk caps ingestion far below the target.
/// </summary>
internal sealed class DeepDatabase
{
    /// <summary>The schema this build writes. Older files are migrated forward; newer ones are refused.</summary>
    public const int SchemaVersion = 4;

    private static readonly string[] Migrations =
    [
        // 1: tracepoints (creation order is seq) and snapshots (the protobuf blob plus the columns we query by).
        """
        CREATE TABLE tracepoints (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant     TEXT    NOT NULL,
            id         TEXT    NOT NULL,
            config     BLOB    NOT NULL,
            created_ns INTEGER NOT NULL,
            UNIQUE (tenant, id)
        );
        CREATE TABLE snapshots (
            seq            INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant         TEXT    NOT NULL,
            id             BLOB    NOT NULL,
            tracepoint_id  TEXT    NOT NULL,
            service_name   TEXT    NOT NULL,
            file_path      TEXT    NOT NULL,
            line_no        INTEGER NOT NULL,
            ts_nanos       INTEGER NOT NULL,
            duration_nanos INTEGER NOT NULL,
            received_ns    INTEGER NOT NULL,
            data           BLOB    NOT NULL
        );
        CREATE UNIQUE INDEX ix_snapshots_id ON snapshots (tenant, id);
        CREATE INDEX ix_snapshots_tracepoint ON snapshots (tenant, tracepoint_id, ts_nanos);
        CREATE INDEX ix_snapshots_service ON snapshots (tenant, service_name, ts_nanos);
        CREATE INDEX ix_snapshots_time ON snapshots (tenant, ts_nanos);
        CREATE INDEX ix_snapshots_received ON snapshots (received_ns);
        """,
        // 2: what agents report about each tracepoint (installed, pending, failed and why), for the UI.
        """
        CREATE TABLE probe_status (
            tenant        TEXT    NOT NULL,
            agent_id      TEXT    NOT NULL,
            tracepoint_id TEXT    NOT NULL,
            state         TEXT    NOT NULL,
            detail        TEXT    NOT NULL DEFAULT '',
            updated_ns    INTEGER NOT NULL,
            PRIMARY KEY (tenant, agent_id, tracepoint_id)
        );
        CREATE INDEX ix_probe_status_tracepoint ON probe_status (tenant, tracepoint_id);
        """,
        // 3: the rest of an agent's status report: its service, where the probe went, how often it fired, and when
        // the agent says the probe entered its state (updated_ns stays the time the server received the report).
        """
        ALTER TABLE probe_status ADD COLUMN service_name TEXT    NOT NULL DEFAULT '';
        ALTER TABLE probe_status ADD COLUMN method       TEXT    NOT NULL DEFAULT '';
        ALTER TABLE probe_status ADD COLUMN il_offset    INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE probe_status ADD COLUMN line_used    INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE probe_status ADD COLUMN fire_count   INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE probe_status ADD COLUMN since_ns     INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX ix_probe_status_received ON probe_status (updated_ns);
        """,
        // 4: /api/status pages in the order service, agent, tracepoint; without this index every page sorted every row.
        """
        CREATE INDEX ix_probe_status_page ON probe_status (tenant, service_name, agent_id, tracepoint_id);
        """,
    ];

    static DeepDatabase() => SQLitePCL.Batteries_V2.Init();

    public DeepDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        FilePath = Path.GetFullPath(Path.Combine(dataDirectory, "deep.db"));
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string FilePath { get; }

    public string ConnectionString { get; }

    /// <summary>When set, every connection caps the file at this many pages: writes past it fail as on a full disk.</summary>
    public long? MaxPageCount { get; init; }

    /// <summary>Opens a connection with the pragmas every connection needs.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;");
        if (MaxPageCount is { } pages) Execute(connection, $"PRAGMA max_page_count = {pages}");
        return connection;
    }

    /// <summary>Creates or migrates the schema. Refuses a database written by a newer build.</summary>
    public void Migrate()
    {
        using var connection = Open();
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
            throw new InvalidOperationException(
                $"the database {FilePath} has schema version {version}, newer than this server's {SchemaVersion}; use a newer deep or another --data directory");
        for (var v = version; v < SchemaVersion; v++)
        {
            using var tx = connection.BeginTransaction();
            Execute(connection, Migrations[v], tx);
            Execute(connection, $"PRAGMA user_version = {v + 1}", tx);
            tx.Commit();
        }
    }

    public int ReadSchemaVersion()
    {
        using var connection = Open();
        return Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
