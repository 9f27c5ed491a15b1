namespace Deep.Server;

/// <summary>How a <see cref="DeepServer"/> listens, stores and protects its data.</summary>
public sealed class DeepServerOptions
{
    /// <summary>The default gRPC (agent-facing) port, as DEEP's agents expect.</summary>
    public const int DefaultGrpcPort = 43315;

    /// <summary>The default HTTP API port, as DEEP's docker examples use.</summary>
    public const int DefaultHttpPort = 3300;

    /// <summary>The largest snapshot accepted, in bytes (the DEEP server's default).</summary>
    public const int DefaultMaxSnapshotBytes = 5_000_000;

    /// <summary>gRPC port; 0 picks a free one.</summary>
    public int GrpcPort { get; set; } = DefaultGrpcPort;

    /// <summary>HTTP API port; 0 picks a free one.</summary>
    public int HttpPort { get; set; } = DefaultHttpPort;

    /// <summary>The address both ports bind to. Loopback unless told otherwise.</summary>
    public string Listen { get; set; } = "127.0.0.1";

    /// <summary>Where the SQLite database lives.</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory();

    /// <summary>When set, every request must carry it as a Bearer token or as the Basic password.</summary>
    public string? ApiKey { get; set; }

    /// <summary>When true, the <c>x-scope-orgid</c> header separates tenants (and is required).</summary>
    public bool Multitenant { get; set; }

    /// <summary>Snapshots older than this (by arrival) are deleted in the background; null keeps them.</summary>
    public TimeSpan? Retention { get; set; }

    /// <summary>At most this many snapshots are kept (the oldest go first); null: no limit.</summary>
    public long? MaxSnapshots { get; set; }

    /// <summary>PEM certificate; with <see cref="TlsKeyPath"/> both ports speak TLS.</summary>
    public string? TlsCertPath { get; set; }

    /// <summary>PEM private key for <see cref="TlsCertPath"/>.</summary>
    public string? TlsKeyPath { get; set; }

    /// <summary>The largest snapshot accepted; larger ones get <c>FAILED_PRECONDITION</c> / <c>SNAPSHOT_TOO_LARGE:</c>.</summary>
    public int MaxSnapshotBytes { get; set; } = DefaultMaxSnapshotBytes;

    /// <summary>The longest a long poll is held, whatever the client asks.</summary>
    public TimeSpan MaxLongPoll { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often retention runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Where static web files are served from at <c>/</c>; null: <c>Ui/wwwroot</c> next to the server assembly.</summary>
    public string? WebRoot { get; set; }

    /// <summary>Test seam: caps the database at this many pages (<c>PRAGMA max_page_count</c>), so a full disk can be met for real.</summary>
    internal long? MaxDatabasePages { get; set; }

    /// <summary><c>~/.deep</c>.</summary>
    public static string DefaultDataDirectory()
        => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".deep");

    /// <summary>Throws <see cref="ArgumentException"/> with a message a person can act on when the options are inconsistent.</summary>
    public void Validate()
    {
        if (GrpcPort is < 0 or > 65535) throw new ArgumentException($"the gRPC port {GrpcPort} is not between 0 and 65535");
        if (HttpPort is < 0 or > 65535) throw new ArgumentException($"the HTTP port {HttpPort} is not between 0 and 65535");
        if (GrpcPort != 0 && GrpcPort == HttpPort) throw new ArgumentException($"the gRPC and HTTP ports must differ (both are {GrpcPort})");
        if (!System.Net.IPAddress.TryParse(Listen, out _) && Listen != "localhost" && Listen != "*")
            throw new ArgumentException($"--listen '{Listen}' is not an IP address (use 127.0.0.1, 0.0.0.0, ::1, ...)");
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("the data directory is empty");
        if (ApiKey is not null && string.IsNullOrWhiteSpace(ApiKey)) throw new ArgumentException("the API key is empty");
        if (Retention is { } r && r <= TimeSpan.Zero) throw new ArgumentException("the retention must be positive");
        if (MaxSnapshots is { } m && m <= 0) throw new ArgumentException("--max-snapshots must be at least 1");
        if ((TlsCertPath is null) != (TlsKeyPath is null)) throw new ArgumentException("TLS needs both --tls-cert and --tls-key");
        if (TlsCertPath is not null && !File.Exists(TlsCertPath)) throw new ArgumentException($"the TLS certificate '{TlsCertPath}' does not exist");
        if (TlsKeyPath is not null && !File.Exists(TlsKeyPath)) throw new ArgumentException($"the TLS key '{TlsKeyPath}' does not exist");
        if (MaxSnapshotBytes <= 0) throw new ArgumentException("the snapshot size limit must be positive");
    }
}
