"""A DEEP client on Python grpcio, for the interop tests: calls the server at 127.0.0.1:<port> (h2c).

Prints one line per check, "OK <name> <detail>" or "FAIL <name> <detail>", and exits non-zero if any failed.
The snapshot it sends is printed as "SENT <hex>" so the test can compare it with what the server received.
"""
import sys

import grpc

from deepproto.proto.common.v1 import common_pb2
from deepproto.proto.poll.v1 import poll_pb2, poll_pb2_grpc
from deepproto.proto.resource.v1 import resource_pb2
from deepproto.proto.tracepoint.v1 import tracepoint_pb2, tracepoint_pb2_grpc

failures = 0


def check(name, condition, detail=""):
    global failures
    if not condition:
        failures += 1
    print("%s %s %s" % ("OK" if condition else "FAIL", name, detail), flush=True)


def main(port):
    channel = grpc.insecure_channel("127.0.0.1:%d" % port)
    grpc.channel_ready_future(channel).result(timeout=20)
    poll = poll_pb2_grpc.PollConfigStub(channel)
    snapshots = tracepoint_pb2_grpc.SnapshotServiceStub(channel)

    resource = resource_pb2.Resource(attributes=[common_pb2.KeyValue(key="service.name", value=common_pb2.AnyValue(string_value="py"))])
    reply = poll.poll(poll_pb2.PollRequest(ts_nanos=41, current_hash="abc", resource=resource), timeout=20)
    check("poll", reply.current_hash == "h-abc" and reply.ts_nanos == 42 and reply.response_type == poll_pb2.UPDATE, str(reply).replace("\n", " "))
    check("poll-tracepoint", len(reply.response) == 1 and reply.response[0].ID == "tp-abc" and reply.response[0].args["fire_count"] == "-1"
          and list(reply.response[0].watches) == ["x + 1"] and reply.response[0].line_number == 42)

    snapshot = tracepoint_pb2.Snapshot(ID=bytes(range(16)), ts_nanos=2**64 - 1, duration_nanos=1234, log_msg="héllo 😀")
    snapshot.var_lookup["1"].CopyFrom(tracepoint_pb2.Variable(type="int", value="-5", hash="h1", truncated=False))
    snapshot.var_lookup["2"].CopyFrom(tracepoint_pb2.Variable(type="List<int>", value="List of size: 2",
                                                               children=[tracepoint_pb2.VariableID(ID="1", name="[0]", modifiers=["private"])]))
    frame = snapshot.frames.add(file_name="/src/Program.cs", method_name="Main", line_number=10, is_async=True, column_number=0)
    frame.variables.add(ID="2", name="list", original_name="<list>5__1")
    snapshot.watches.add(expression="x", good_result=tracepoint_pb2.VariableID(ID="1", name="x"), source=tracepoint_pb2.WATCH)
    snapshot.watches.add(expression="y.", error_result="syntax error")
    snapshot.attributes.add(key="int", value=common_pb2.AnyValue(int_value=-9))
    snapshot.resource.add(key="d", value=common_pb2.AnyValue(double_value=1.5))
    print("SENT " + snapshot.SerializeToString().hex(), flush=True)
    snapshots.send(snapshot, timeout=20)
    check("send", True)

    try:
        snapshots.send(tracepoint_pb2.Snapshot(ID=b"short"), timeout=20)
        check("send-invalid", False, "no error")
    except grpc.RpcError as error:
        check("send-invalid", error.code() == grpc.StatusCode.INVALID_ARGUMENT, "%s %s" % (error.code(), error.details()))

    try:
        poll.poll(poll_pb2.PollRequest(), timeout=20, metadata=[("x-fail", "8")])
        check("poll-error", False, "no error")
    except grpc.RpcError as error:
        check("poll-error", error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and error.details() == "failing as asked: ünïcödé 100%",
              "%s %s" % (error.code(), error.details()))

    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
