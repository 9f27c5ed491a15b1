"""Acts as a deep-dotnet agent reporting probe status: sends one ProbeStatusReport (protobuf JSON on stdin) to the
server's deepdotnet.status.v1.ProbeStatusService/report over gRPC with grpcio.

Usage: send_status.py <stubs-dir> <host:port> [api-key]
Prints OK on success; on a gRPC error prints the status name and message and exits 2.
"""
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from deepdotnet.status.v1 import status_pb2  # noqa: E402

report = json_format.Parse(sys.stdin.read(), status_pb2.ProbeStatusReport())
metadata = [("authorization", "Bearer " + sys.argv[3])] if len(sys.argv) > 3 and sys.argv[3] else None
with grpc.insecure_channel(sys.argv[2]) as channel:
    send = channel.unary_unary(
        "/deepdotnet.status.v1.ProbeStatusService/report",
        request_serializer=status_pb2.ProbeStatusReport.SerializeToString,
        response_deserializer=status_pb2.ProbeStatusAck.FromString,
    )
    try:
        send(report, timeout=30, metadata=metadata)
    except grpc.RpcError as e:
        print(f"{e.code().name}: {e.details()}")
        sys.exit(2)
print("OK")
