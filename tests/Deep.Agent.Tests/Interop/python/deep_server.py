#!/usr/bin/env python3
"""A DEEP server written against the real gRPC stack (python grpcio), for interop tests of the .NET agent.

It implements PollConfig/poll with the DEEP server's semantics (FNV-1 hash of the tracepoint ids, NO_CHANGE when
the client's hash matches, UPDATE with the full list otherwise) and SnapshotService/send (rejecting ids that are
not 16 bytes). It ignores the deep-long-poll header, like the DEEP server does.

Control: JSON lines on stdin ({"cmd": "set", "tracepoints": [...TracePointConfig as protobuf JSON...]}).
Events: JSON lines on stdout ({"event": "listening", "port": N}, {"event": "poll", ...}, {"event": "snapshot", ...}).

Usage: deep_server.py --stubs DIR [--port N]
"""
import argparse
import json
import sys
import threading
import time
from concurrent import futures

parser = argparse.ArgumentParser()
parser.add_argument("--stubs", required=True)
parser.add_argument("--port", type=int, default=0)
args = parser.parse_args()
sys.path.insert(0, args.stubs)

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from deepproto.proto.poll.v1 import poll_pb2, poll_pb2_grpc  # noqa: E402
from deepproto.proto.tracepoint.v1 import tracepoint_pb2, tracepoint_pb2_grpc  # noqa: E402

lock = threading.Lock()
out_lock = threading.Lock()
tracepoints = []


def emit(event):
    with out_lock:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


def fnv1_32(ids):
    h = 2166136261
    for b in "".join(ids).encode("utf-8"):
        h = (h * 16777619) & 0xFFFFFFFF
        h ^= b
    return str(h)


class PollConfig(poll_pb2_grpc.PollConfigServicer):
    def poll(self, request, context):
        metadata = dict(context.invocation_metadata())
        with lock:
            current = list(tracepoints)
        current_hash = fnv1_32([t.ID for t in current])
        emit({
            "event": "poll",
            "hash": request.current_hash,
            "long_poll": metadata.get("deep-long-poll"),
            "authorization": metadata.get("authorization"),
            "resource": {kv.key: json_format.MessageToDict(kv.value) for kv in request.resource.attributes},
        })
        response = poll_pb2.PollResponse(ts_nanos=time.time_ns(), current_hash=current_hash)
        if request.current_hash == current_hash:
            response.response_type = poll_pb2.NO_CHANGE
        else:
            response.response_type = poll_pb2.UPDATE
            response.response.extend(current)
        return response


class SnapshotService(tracepoint_pb2_grpc.SnapshotServiceServicer):
    def send(self, request, context):
        if len(request.ID) != 16:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "snapshot id must be 16 bytes")
        emit({"event": "snapshot", "id": request.ID.hex(), "snapshot": json_format.MessageToDict(request)})
        return tracepoint_pb2.SnapshotResponse()


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    poll_pb2_grpc.add_PollConfigServicer_to_server(PollConfig(), server)
    tracepoint_pb2_grpc.add_SnapshotServiceServicer_to_server(SnapshotService(), server)
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    if port == 0:
        emit({"event": "error", "message": f"cannot bind port {args.port}"})
        sys.exit(1)
    server.start()
    emit({"event": "listening", "port": port})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        command = json.loads(line)
        if command["cmd"] == "set":
            parsed = [json_format.ParseDict(t, tracepoint_pb2.TracePointConfig()) for t in command["tracepoints"]]
            with lock:
                tracepoints[:] = parsed
            emit({"event": "set", "count": len(parsed)})
        elif command["cmd"] == "stop":
            break
    server.stop(0)


if __name__ == "__main__":
    main()
