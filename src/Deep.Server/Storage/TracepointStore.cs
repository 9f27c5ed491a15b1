using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;

namespace Deep.Server.Storage;

/// <summary>Tracepoints on disk, per tenant, in creation order.</summary>
internal sealed class TracepointStore(DeepDatabase database)
{
    public IReadOnlyList<(string Tenant, TracePointConfig Config)> LoadAll()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT tenant, config FROM tracepoints ORDER BY seq";
        using var reader = command.ExecuteReader();
        var result = new List<(string, TracePointConfig)>();
        while (reader.Read())
        {
            result.Add((reader.GetString(0), TracePointConfig.Parser.ParseFrom((byte[])reader.GetValue(1))));
        }
        return result;
    }

    public void Insert(string tenant, TracePointConfig config)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO tracepoints (tenant, id, config, created_ns) VALUES ($tenant, $id, $config, $created)";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$id", config.ID);
        command.Parameters.AddWithValue("$config", config.ToByteArray());
        command.Parameters.AddWithValue("$created", Deep.Protocol.UnixNanos.Now());
        command.ExecuteNonQuery();
    }

    public bool Delete(string tenant, string id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM tracepoints WHERE tenant = $tenant AND id = $id";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() > 0;
    }
}
