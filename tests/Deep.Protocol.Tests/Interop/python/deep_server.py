"""A DEEP server on Python grpcio (an independent gRPC stack), for the interop tests.

Prints "PORT <n>" once listening on 127.0.0.1. Each received snapshot is printed as
"SNAPSHOT <hex of its re-serialization>" so the test can compare it with what it sent.
Metadata: x-fail=<code> fails the call with that status; x-sleep=<seconds> delays the reply.
"""
import sys
import time
from concurrent import futures

import grpc

from deepproto.proto.poll.v1 import poll_pb2, poll_pb2_grpc
from deepproto.proto.tracepoint.v1 import tracepoint_pb2, tracepoint_pb2_grpc


def apply_metadata(context):
    metadata = dict(context.invocation_metadata())
    if "x-sleep" in metadata:
        deadline = time.monotonic() + float(metadata["x-sleep"])
        while time.monotonic() < deadline and context.is_active():
            time.sleep(0.02)
    if "x-fail" in metadata:
        code = next(c for c in grpc.StatusCode if c.value[0] == int(metadata["x-fail"]))
        context.abort(code, "python says no: ünïcödé 100%")
    return metadata


class PollConfig(poll_pb2_grpc.PollConfigServicer):
    def poll(self, request, context):
        metadata = apply_metadata(context)
        tracepoint = tracepoint_pb2.TracePointConfig(ID="py-tp", path="app/Program.cs", line_number=7)
        tracepoint.args["seen-authorization"] = metadata.get("authorization", "")
        tracepoint.args["seen-hash"] = request.current_hash
        remaining = context.time_remaining()
        tracepoint.args["seen-deadline"] = "none" if remaining is None else "%.3f" % remaining
        tracepoint.watches.append("order.Total * 2")
        for attribute in request.resource.attributes:
            tracepoint.targeting.add().CopyFrom(attribute)
        metric = tracepoint.metrics.add(name="hits", type=tracepoint_pb2.GAUGE, expression="")
        metric.labelExpressions.add(key="env", static={"string_value": "prod"})
        return poll_pb2.PollResponse(
            ts_nanos=request.ts_nanos + 1,
            current_hash="py-" + request.current_hash,
            response=[tracepoint],
            response_type=poll_pb2.UPDATE,
        )


class SnapshotService(tracepoint_pb2_grpc.SnapshotServiceServicer):
    def send(self, request, context):
        apply_metadata(context)
        if len(request.ID) != 16:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "snapshot ID must be 16 bytes, got %d" % len(request.ID))
        print("SNAPSHOT " + request.SerializeToString().hex(), flush=True)
        return tracepoint_pb2.SnapshotResponse()


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    poll_pb2_grpc.add_PollConfigServicer_to_server(PollConfig(), server)
    tracepoint_pb2_grpc.add_SnapshotServiceServicer_to_server(SnapshotService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("PORT %d" % port, flush=True)
    # Stop when the test closes our stdin (or kills us).
    sys.stdin.read()
    server.stop(grace=None)


if __name__ == "__main__":
    main()
