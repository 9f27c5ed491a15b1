#!/usr/bin/env bash
# Builds the CLR profiler (NativeAOT shared library) into .deep/profiler when its sources changed, and prints
# the absolute path of Deep.Profiler.so. Usage: scripts/build-profiler.sh [--force]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/.deep/profiler"
lib="$out/Deep.Profiler.so"

"$root/scripts/prereqs.sh" clang lld

# Test projects run in parallel and may all ask for the profiler: one build at a time, the others then find it built.
mkdir -p "$root/.deep"
exec 9>"$root/.deep/profiler-build.lock"
flock 9

stale=1
if [ "${1:-}" != "--force" ] && [ -f "$lib" ]; then
  # Up to date when no source, project or build props file is newer than the library.
  newer="$(find "$root/src/Deep.Profiler" "$root/Directory.Build.props" "$root/Directory.Packages.props" \
      -path '*/bin' -prune -o -path '*/obj' -prune -o -type f -newer "$lib" -print -quit)"
  [ -z "$newer" ] && stale=0
fi

if [ "$stale" -eq 1 ]; then
  echo "[build-profiler] publishing Deep.Profiler (NativeAOT)..." >&2
  log="$(mktemp)"
  if ! dotnet publish "$root/src/Deep.Profiler" -c Release -o "$out" -nologo >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "[build-profiler] FAILED" >&2
    exit 1
  fi
  rm -f "$log"
  touch "$lib"
fi
echo "$lib"
