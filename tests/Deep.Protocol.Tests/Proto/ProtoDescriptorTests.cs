using Google.Protobuf.Reflection;

namespace Deep.Protocol.Tests.Proto;

/// <summary>
/// protoc compiles proto/, and what it compiles is the DEEP protocol (plus deep-dotnet's probe status extension,
/// in a package of its own): every message, field number, type, label, oneof, map, enum and service, compared
/// against a table written by hand from spec/wire-protocol.md and the status design.
/// </summary>
public sealed class ProtoDescriptorTests
{
    // Written from the spec's tables, not from the .proto files.
    private static readonly string[] s_expected =
    [
        "package deepproto.proto.common.v1",
        "message deepproto.proto.common.v1.AnyValue",
        "  1 string_value string oneof(value)",
        "  2 bool_value bool oneof(value)",
        "  3 int_value int64 oneof(value)",
        "  4 double_value double oneof(value)",
        "  5 array_value .deepproto.proto.common.v1.ArrayValue oneof(value)",
        "  6 kvlist_value .deepproto.proto.common.v1.KeyValueList oneof(value)",
        "  7 bytes_value bytes oneof(value)",
        "message deepproto.proto.common.v1.ArrayValue",
        "  1 values repeated .deepproto.proto.common.v1.AnyValue",
        "message deepproto.proto.common.v1.KeyValueList",
        "  1 values repeated .deepproto.proto.common.v1.KeyValue",
        "message deepproto.proto.common.v1.KeyValue",
        "  1 key string",
        "  2 value .deepproto.proto.common.v1.AnyValue",

        "package deepproto.proto.poll.v1",
        "message deepproto.proto.poll.v1.PollRequest",
        "  1 ts_nanos fixed64",
        "  2 current_hash string",
        "  3 resource .deepproto.proto.resource.v1.Resource",
        "message deepproto.proto.poll.v1.PollResponse",
        "  1 ts_nanos fixed64",
        "  2 current_hash string",
        "  3 response repeated .deepproto.proto.tracepoint.v1.TracePointConfig",
        "  4 response_type .deepproto.proto.poll.v1.ResponseType",
        "enum deepproto.proto.poll.v1.ResponseType NO_CHANGE=0 UPDATE=1",
        "service deepproto.proto.poll.v1.PollConfig",
        "  rpc poll(.deepproto.proto.poll.v1.PollRequest) returns (.deepproto.proto.poll.v1.PollResponse)",

        "package deepproto.proto.resource.v1",
        "message deepproto.proto.resource.v1.Resource",
        "  1 attributes repeated .deepproto.proto.common.v1.KeyValue",
        "  2 dropped_attributes_count uint32",

        "package deepproto.proto.tracepoint.v1",
        "message deepproto.proto.tracepoint.v1.TracePointConfig",
        "  1 ID string",
        "  2 path string",
        "  3 line_number uint32",
        "  4 args map<string, string>",
        "  5 watches repeated string",
        "  6 targeting repeated .deepproto.proto.common.v1.KeyValue",
        "  7 metrics repeated .deepproto.proto.tracepoint.v1.Metric",
        "message deepproto.proto.tracepoint.v1.Metric",
        "  1 name string",
        "  2 labelExpressions repeated .deepproto.proto.tracepoint.v1.LabelExpression",
        "  3 type .deepproto.proto.tracepoint.v1.MetricType",
        "  4 expression optional string",
        "  5 namespace optional string",
        "  6 help optional string",
        "  7 unit optional string",
        "message deepproto.proto.tracepoint.v1.LabelExpression",
        "  1 key string",
        "  2 static .deepproto.proto.common.v1.AnyValue oneof(value)",
        "  3 expression string oneof(value)",
        "message deepproto.proto.tracepoint.v1.VariableID",
        "  1 ID string",
        "  2 name string",
        "  3 modifiers repeated string",
        "  4 original_name optional string",
        "message deepproto.proto.tracepoint.v1.Variable",
        "  1 type string",
        "  2 value string",
        "  3 hash string",
        "  4 children repeated .deepproto.proto.tracepoint.v1.VariableID",
        "  5 truncated optional bool",
        "message deepproto.proto.tracepoint.v1.StackFrame",
        "  1 file_name string",
        "  2 method_name string",
        "  3 line_number uint32",
        "  4 class_name optional string",
        "  5 is_async optional bool",
        "  6 column_number optional uint32",
        "  7 transpiled_file_name optional string",
        "  8 transpiled_line_number optional uint32",
        "  9 transpiled_column_number optional uint32",
        "  10 variables repeated .deepproto.proto.tracepoint.v1.VariableID",
        "  11 app_frame optional bool",
        "  12 native_frame optional bool",
        "  13 short_path optional string",
        "message deepproto.proto.tracepoint.v1.WatchResult",
        "  1 expression string",
        "  2 good_result .deepproto.proto.tracepoint.v1.VariableID oneof(result)",
        "  3 error_result string oneof(result)",
        "  4 from_metric optional bool",
        "  5 source .deepproto.proto.tracepoint.v1.WatchSource",
        "message deepproto.proto.tracepoint.v1.Snapshot",
        "  1 ID bytes",
        "  2 tracepoint .deepproto.proto.tracepoint.v1.TracePointConfig",
        "  3 var_lookup map<string, .deepproto.proto.tracepoint.v1.Variable>",
        "  4 ts_nanos fixed64",
        "  5 frames repeated .deepproto.proto.tracepoint.v1.StackFrame",
        "  6 watches repeated .deepproto.proto.tracepoint.v1.WatchResult",
        "  7 attributes repeated .deepproto.proto.common.v1.KeyValue",
        "  8 duration_nanos uint64",
        "  9 resource repeated .deepproto.proto.common.v1.KeyValue",
        "  10 log_msg optional string",
        "message deepproto.proto.tracepoint.v1.SnapshotResponse",
        "enum deepproto.proto.tracepoint.v1.MetricType COUNTER=0 GAUGE=1 HISTOGRAM=2 SUMMARY=3",
        "enum deepproto.proto.tracepoint.v1.WatchSource WATCH=0 LOG=1 METRIC=2 CAPTURE=3",
        "service deepproto.proto.tracepoint.v1.SnapshotService",
        "  rpc send(.deepproto.proto.tracepoint.v1.Snapshot) returns (.deepproto.proto.tracepoint.v1.SnapshotResponse)",

        // deep-dotnet's own extension (not DEEP), written from the probe-status design: a package of its own.
        "package deepdotnet.status.v1",
        "message deepdotnet.status.v1.ProbeStatusReport",
        "  1 agent_id string",
        "  2 resource repeated .deepproto.proto.common.v1.KeyValue",
        "  3 statuses repeated .deepdotnet.status.v1.ProbeStatus",
        "  4 ts_nanos fixed64",
        "message deepdotnet.status.v1.ProbeStatus",
        "  1 tracepoint_id string",
        "  2 state .deepdotnet.status.v1.ProbeState",
        "  3 detail string",
        "  4 method string",
        "  5 il_offset uint32",
        "  6 line_used uint32",
        "  7 fire_count uint64",
        "  8 updated_nanos fixed64",
        "message deepdotnet.status.v1.ProbeStatusAck",
        "enum deepdotnet.status.v1.ProbeState PENDING=0 INSTALLED=1 FIRED=2 ERROR=3",
        "service deepdotnet.status.v1.ProbeStatusService",
        "  rpc report(.deepdotnet.status.v1.ProbeStatusReport) returns (.deepdotnet.status.v1.ProbeStatusAck)",
    ];

    [Fact]
    public void Protoc_compiles_proto_into_exactly_the_DEEP_protocol_and_the_status_extension()
    {
        var protoc = ToolPaths.Require("/usr/bin/protoc", "protoc (Debian package protobuf-compiler)");
        var output = Path.Combine(Path.GetTempPath(), $"deep-descriptors-{Guid.NewGuid():N}.pb");
        try
        {
            var (exit, log) = ToolPaths.Run(protoc, ["-I", ToolPaths.ProtoRoot, $"--descriptor_set_out={output}", .. ToolPaths.ProtoFiles]);
            Assert.True(exit == 0, $"protoc failed:\n{log}");
            var set = FileDescriptorSet.Parser.ParseFrom(File.ReadAllBytes(output));

            Assert.All(set.File, file => Assert.Equal("proto3", file.Syntax));
            var actual = set.File.OrderBy(f => f.Package, StringComparer.Ordinal).SelectMany(Describe).ToArray();
            Assert.Equal(s_expected.OrderBy(s => s, StringComparer.Ordinal), actual.OrderBy(s => s, StringComparer.Ordinal));
            Assert.Equal(s_expected.Length, actual.Length);
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static IEnumerable<string> Describe(FileDescriptorProto file)
    {
        yield return $"package {file.Package}";
        foreach (var message in file.MessageType)
        {
            var name = $"{file.Package}.{message.Name}";
            yield return $"message {name}";
            var maps = message.NestedType.Where(n => n.Options?.MapEntry == true).ToDictionary(n => $".{name}.{n.Name}");
            Assert.Equal(maps.Count, message.NestedType.Count); // no nested messages other than map entries
            Assert.Empty(message.EnumType);
            foreach (var field in message.Field)
            {
                string type;
                if (field.Label == FieldDescriptorProto.Types.Label.Repeated && field.HasTypeName && maps.TryGetValue(field.TypeName, out var entry))
                {
                    type = $"map<{TypeOf(entry.Field.Single(f => f.Number == 1))}, {TypeOf(entry.Field.Single(f => f.Number == 2))}>";
                }
                else
                {
                    var label = field.Label == FieldDescriptorProto.Types.Label.Repeated ? "repeated " : field.Proto3Optional ? "optional " : "";
                    type = label + TypeOf(field);
                }
                var oneof = field.HasOneofIndex && !field.Proto3Optional ? $" oneof({message.OneofDecl[field.OneofIndex].Name})" : "";
                yield return $"  {field.Number} {field.Name} {type}{oneof}";
            }
        }
        foreach (var e in file.EnumType)
            yield return $"enum {file.Package}.{e.Name} " + string.Join(' ', e.Value.Select(v => $"{v.Name}={v.Number}"));
        foreach (var service in file.Service)
        {
            yield return $"service {file.Package}.{service.Name}";
            foreach (var method in service.Method)
            {
                Assert.False(method.ClientStreaming || method.ServerStreaming, "DEEP methods are unary");
                yield return $"  rpc {method.Name}({method.InputType}) returns ({method.OutputType})";
            }
        }
    }

    private static string TypeOf(FieldDescriptorProto field) => field.Type switch
    {
        FieldDescriptorProto.Types.Type.Message or FieldDescriptorProto.Types.Type.Enum => field.TypeName,
        var scalar => scalar.ToString().ToLowerInvariant(),
    };
}
