namespace Deep.Agent;

/// <summary>The agent's public entry point. SKELETON: filled by the agent issue (#4).</summary>
public static class DeepAgent
{
}
