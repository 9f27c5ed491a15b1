#!/usr/bin/env bash
# Builds what a user installs, into one folder (default: artifacts/ at the repository root):
#   deep-dotnet.<version>.nupkg           the .NET tool (command `deep`): CLI, embedded server, web UI, agent, profiler
#   Deep.Agent.<version>.nupkg            the package an application references to call DeepAgent.Start()
#   deep-agent-<version>-linux-x64.tar.gz the agent folder for images without the SDK (layout: docs/install.md)
# Usage: scripts/pack.sh [--out DIR] [--no-build]   (--no-build: reuse a Release build of the solution)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts"
build=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --no-build) build=(--no-build); shift ;;
    *) echo "usage: scripts/pack.sh [--out DIR] [--no-build]" >&2; exit 2 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

"$root/scripts/build-profiler.sh" >/dev/null
mkdir -p "$out"
rm -f "$out"/deep-dotnet.*.nupkg "$out"/Deep.Agent.*.nupkg "$out"/deep-agent-*-linux-x64.tar.gz
# Both packages come from the two packable projects (IsPackable in their .csproj); `dotnet pack` of the solution
# would build them the same way, plus every test project.
for project in src/Deep.Agent/Deep.Agent.csproj src/Deep.Cli/Deep.Cli.csproj; do
  dotnet pack "$root/$project" -c Release -o "$out" -nologo -clp:ErrorsOnly "${build[@]}"
done

# The tarball: the tool's agent folder as it is (the same files deep run and deep env name), as deep-agent/.
tool="$(ls "$out"/deep-dotnet.*.nupkg)"
version="$(basename "$tool" .nupkg)"; version="${version#deep-dotnet.}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
unzip -q "$tool" 'tools/*/any/agent/*' -d "$work"
mkdir -p "$work/deep-agent"
mv "$work"/tools/*/any/agent/* "$work/deep-agent/"
tar -C "$work" -czf "$out/deep-agent-$version-linux-x64.tar.gz" deep-agent
ls -1 "$out"/deep-dotnet.*.nupkg "$out"/Deep.Agent.*.nupkg "$out"/deep-agent-*-linux-x64.tar.gz
