namespace Deep.Server;

/// <summary>SKELETON: the server is built by the server issue (#3).</summary>
public static class DeepServerInfo
{
}
