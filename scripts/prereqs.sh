#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, when missing (see ../shared/env/packages.md).
#   clang, lld                       NativeAOT linking of the CLR profiler
#   python3-grpcio, python3-protobuf,
#   protobuf-compiler(-grpc)         interop tests against an independent gRPC stack (Python grpcio)
#   chromium                         the web UI's end-to-end tests (Playwright drives Debian's Chromium)
# Usage: scripts/prereqs.sh [package...]   (no arguments: everything)
set -euo pipefail

wanted=("$@")
if [ ${#wanted[@]} -eq 0 ]; then
  wanted=(clang lld python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc chromium)
fi

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "[prereqs] installing Debian packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[prereqs] done" >&2
