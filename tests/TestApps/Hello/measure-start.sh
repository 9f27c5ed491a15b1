#!/usr/bin/env bash
# Process start overhead of the profiler with no tracepoints: N alternating starts of Hello without and with
# the profiler; prints mean CPU time (user+sys, less sensitive to a loaded machine than wall time), mean wall
# time and mean max RSS. Usage: tests/TestApps/Hello/measure-start.sh [N=30]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
n="${1:-30}"
so="$("$root/scripts/build-profiler.sh")"
out="$(mktemp -d)"
dotnet build "$root/tests/TestApps/Hello" -c Release -o "$out" -nologo -v q >/dev/null
with=(env CORECLR_ENABLE_PROFILING=1 CORECLR_PROFILER='{8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57}' CORECLR_PROFILER_PATH="$so")
declare -A cpu wall rss
for mode in without with; do cpu[$mode]=0; wall[$mode]=0; rss[$mode]=0; done
for _ in $(seq 1 "$n"); do
  for mode in without with; do
    prefix=(); [ "$mode" = with ] && prefix=("${with[@]}")
    read -r u s e m < <({ /usr/bin/time -f "%U %S %e %M" "${prefix[@]}" dotnet "$out/Hello.dll" >/dev/null; } 2>&1 | tail -1)
    cpu[$mode]=$(echo "${cpu[$mode]} + $u + $s" | bc); wall[$mode]=$(echo "${wall[$mode]} + $e" | bc); rss[$mode]=$((rss[$mode] + m))
  done
done
for mode in without with; do
  printf '%-8s profiler: CPU %6.1f ms  wall %6.1f ms  max RSS %6d KiB  (mean of %d)\n' "$mode" \
    "$(echo "scale=2; ${cpu[$mode]} * 1000 / $n" | bc)" "$(echo "scale=2; ${wall[$mode]} * 1000 / $n" | bc)" "$((rss[$mode] / n))" "$n"
done
rm -rf "$out"
