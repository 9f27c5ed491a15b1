#!/usr/bin/env bash
# The one test command: installs what the tests need, builds everything, runs every test.
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Codec]
set -euo pipefail
cd "$(dirname "$0")"

scripts/prereqs.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== build"
dotnet build deep-dotnet.slnx -c Release -nologo -clp:ErrorsOnly

echo "== test"
log=$(mktemp)
set +e
# One test project at a time (-m:1): the integration and UI projects start real processes and time their waits,
# and on 2 cores running every project at once starved them into flaky timeouts.
dotnet test deep-dotnet.slnx -c Release --no-build -nologo -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for people and CI: the totals over every test project.
awk '
  /(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { f += $(i+1) + 0 }
      if ($i == "Passed:")  { p += $(i+1) + 0 }
      if ($i == "Skipped:") { s += $(i+1) + 0 }
    }
    runs++
  }
  END {
    if (runs == 0) { print "0 passed, 0 failed"; exit }
    printf "%d passed, %d failed, %d skipped\n", p, f, s
  }' "$log"
passed=$(grep -cE '(Passed|Failed)! +- +Failed' "$log" || true)
rm -f "$log"
if [ "$status" -ne 0 ]; then exit "$status"; fi
if [ "$passed" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
