namespace Deep.Protocol;

/// <summary><c>deepdotnet.status.v1.ProbeState</c>: where a tracepoint is in its life on one agent.</summary>
public enum ProbeStatusState
{
    /// <summary>Waiting: the code it targets is not loaded yet (or no engine can install it).</summary>
    Pending = 0,
    /// <summary>Installed: the method was rewritten.</summary>
    Installed = 1,
    /// <summary>Installed and has fired at least once.</summary>
    Fired = 2,
    /// <summary>It cannot be installed; the detail says why.</summary>
    Error = 3,
}

/// <summary><c>deepdotnet.status.v1.ProbeStatus</c>: one tracepoint's state on one agent.</summary>
public sealed partial class ProbeStatus
{
    /// <summary>Field 1: the tracepoint's id.</summary>
    public string TracepointId { get; set; } = "";

    /// <summary>Field 2.</summary>
    public ProbeStatusState State { get; set; }

    /// <summary>Field 3: why (pending, error), in words a developer can act on.</summary>
    public string Detail { get; set; } = "";

    /// <summary>Field 4: where it was installed, <c>Namespace.Type.Method</c>.</summary>
    public string Method { get; set; } = "";

    /// <summary>Field 5: the IL offset the probe was inserted at.</summary>
    public uint IlOffset { get; set; }

    /// <summary>Field 6: the line actually probed.</summary>
    public uint LineUsed { get; set; }

    /// <summary>Field 7: how many times it fired.</summary>
    public ulong FireCount { get; set; }

    /// <summary>Field 8 (fixed64): when it entered this state, epoch nanoseconds.</summary>
    public ulong UpdatedNanos { get; set; }
}

/// <summary><c>deepdotnet.status.v1.ProbeStatusReport</c>: an agent's full current set of statuses.</summary>
public sealed partial class ProbeStatusReport
{
    /// <summary>Field 1: a random id per agent process.</summary>
    public string AgentId { get; set; } = "";

    /// <summary>Field 2: the agent's resource attributes.</summary>
    public List<KeyValue> Resource { get; } = new();

    /// <summary>Field 3.</summary>
    public List<ProbeStatus> Statuses { get; } = new();

    /// <summary>Field 4 (fixed64): send time, epoch nanoseconds.</summary>
    public ulong TsNanos { get; set; }
}

/// <summary><c>deepdotnet.status.v1.ProbeStatusAck</c>: empty.</summary>
public sealed partial class ProbeStatusAck
{
}
