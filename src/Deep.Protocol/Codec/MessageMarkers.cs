namespace Deep.Protocol;

// SCAFFOLD: replaced by the codec (issue 2).
public sealed partial class AnyValue : IProtoMessage { }
public sealed partial class ArrayValue : IProtoMessage { }
public sealed partial class KeyValueList : IProtoMessage { }
public sealed partial class KeyValue : IProtoMessage { }
public sealed partial class Resource : IProtoMessage { }
public sealed partial class PollRequest : IProtoMessage { }
public sealed partial class PollResponse : IProtoMessage { }
public sealed partial class TracePointConfig : IProtoMessage { }
public sealed partial class Metric : IProtoMessage { }
public sealed partial class LabelExpression : IProtoMessage { }
public sealed partial class VariableID : IProtoMessage { }
public sealed partial class Variable : IProtoMessage { }
public sealed partial class StackFrame : IProtoMessage { }
public sealed partial class WatchResult : IProtoMessage { }
public sealed partial class Snapshot : IProtoMessage { }
public sealed partial class SnapshotResponse : IProtoMessage { }
