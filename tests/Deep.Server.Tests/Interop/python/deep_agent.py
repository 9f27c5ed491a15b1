"""A DEEP agent written with Python grpcio (an independent gRPC stack) against the real `deep server` process.

Usage: deep_agent.py <stubs dir> <grpc host:port> <http base url>
Prints one line per check and exits non-zero on the first failure.
"""
import json
import sys
import threading
import time
import urllib.request
import uuid

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
from deepproto.proto.common.v1 import common_pb2  # noqa: E402
from deepproto.proto.poll.v1 import poll_pb2, poll_pb2_grpc  # noqa: E402
from deepproto.proto.resource.v1 import resource_pb2  # noqa: E402
from deepproto.proto.tracepoint.v1 import tracepoint_pb2, tracepoint_pb2_grpc  # noqa: E402

target, http = sys.argv[2], sys.argv[3].rstrip("/")


def check(cond, what):
    if not cond:
        print("FAIL " + what, flush=True)
        sys.exit(1)
    print("ok " + what, flush=True)


def create(body):
    req = urllib.request.Request(http + "/api/tracepoints", data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["tracepoint"]["ID"]


def resource(**attrs):
    return resource_pb2.Resource(attributes=[common_pb2.KeyValue(key=k.replace("_", "."), value=common_pb2.AnyValue(string_value=v))
                                             for k, v in attrs.items()])


channel = grpc.insecure_channel(target)
poll = poll_pb2_grpc.PollConfigStub(channel)
snapshots = tracepoint_pb2_grpc.SnapshotServiceStub(channel)

first = poll.poll(poll_pb2.PollRequest(ts_nanos=time.time_ns(), resource=resource(service_name="shop")), timeout=10)
check(first.current_hash == "2166136261" and len(first.response) == 0, "empty server hash")

everyone = create({"tracepoint": {"path": "OrderService.cs", "line_number": 10}})
shop_only = create({"tracepoint": {"path": "OrderService.cs", "lineNumber": 11,
                                   "targeting": [{"key": "service.name", "value": {"stringValue": "shop"}}]}})

shop = poll.poll(poll_pb2.PollRequest(resource=resource(service_name="shop")), timeout=10)
check([t.ID for t in shop.response] == [everyone, shop_only] and shop.response_type == poll_pb2.UPDATE, "targeting: shop gets both")
billing = poll.poll(poll_pb2.PollRequest(resource=resource(service_name="billing")), timeout=10)
check([t.ID for t in billing.response] == [everyone], "targeting: billing gets the untargeted one")

again = poll.poll(poll_pb2.PollRequest(current_hash=shop.current_hash, resource=resource(service_name="shop")), timeout=10)
check(again.response_type == poll_pb2.NO_CHANGE, "NO_CHANGE for the current hash")

# Long poll: hold the answer until a tracepoint appears.
result = {}


def long_poll():
    started = time.monotonic()
    r = poll.poll(poll_pb2.PollRequest(current_hash=shop.current_hash, resource=resource(service_name="shop")),
                  timeout=30, metadata=[("deep-long-poll", "20")])
    result["r"], result["t"] = r, time.monotonic() - started


t = threading.Thread(target=long_poll)
t.start()
time.sleep(0.5)
check("r" not in result, "long poll is held")
created_at = time.monotonic()
third = create({"tracepoint": {"path": "Cart.cs", "line_number": 5}})
t.join(15)
woke = time.monotonic() - created_at
check("r" in result and result["r"].response_type == poll_pb2.UPDATE and result["r"].response[-1].ID == third,
      "long poll woken by the new tracepoint")
check(woke < 1.0, "long poll woken in under a second (%.3f s)" % woke)

snap = tracepoint_pb2.Snapshot(ID=uuid.uuid4().bytes, ts_nanos=time.time_ns(),
                               tracepoint=tracepoint_pb2.TracePointConfig(ID=everyone, path="OrderService.cs", line_number=10),
                               resource=[common_pb2.KeyValue(key="service.name", value=common_pb2.AnyValue(string_value="shop"))])
snapshots.send(snap, timeout=10)
with urllib.request.urlopen(http + "/api/snapshots/" + snap.ID.hex()) as r:
    check(json.load(r)["tracepoint"]["ID"] == everyone, "sent snapshot is readable over HTTP")

try:
    snapshots.send(tracepoint_pb2.Snapshot(ID=b"short"), timeout=10)
    check(False, "short id rejected")
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.INVALID_ARGUMENT, "short id is INVALID_ARGUMENT")

try:
    big = tracepoint_pb2.Snapshot(ID=uuid.uuid4().bytes, log_msg="x" * 5_000_100)
    snapshots.send(big, timeout=30)
    check(False, "large snapshot rejected")
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.FAILED_PRECONDITION and e.details().startswith("SNAPSHOT_TOO_LARGE:"),
          "large snapshot is FAILED_PRECONDITION SNAPSHOT_TOO_LARGE (%s)" % e.details())

try:
    channel.unary_unary("/deepproto.proto.poll.v1.PollConfig/other")(b"", timeout=10)
    check(False, "unknown method rejected")
except grpc.RpcError as e:
    check(e.code() == grpc.StatusCode.UNIMPLEMENTED, "unknown method is UNIMPLEMENTED")

print("ALL OK", flush=True)
