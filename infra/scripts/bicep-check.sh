#!/usr/bin/env bash
# Builds and lints every Bicep template under infra/ with the real Bicep compiler.
# The compiler comes from NuGet (Azure.Bicep.CommandLine.linux-x64), restored by a throw-away project and
# cached in .bicep/bin (git-ignored). Any warning fails the check unless it is suppressed inline with
# `#disable-next-line <rule> // <reason>`.
# Usage: infra/scripts/bicep-check.sh [--install-only]
set -euo pipefail

BICEP_VERSION='0.49.2'
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN_DIR="$ROOT/.bicep/bin"
BICEP="$BIN_DIR/bicep"

# Templates that cannot be compiled offline, with the reason printed every time they are skipped.
declare -A OFFLINE_SKIP=(
  ['infra/app/graph-permissions.bicep']='declares `extension microsoftGraphV1`, whose types are only published to the container registry mcr.microsoft.com (not NuGet/npm), which this network cannot reach; it is compiled by az/azd when an admin deploys it (see docs/deploy.md), and infra/scripts/grant-graph-permissions.sh grants the same roles from the same infra/graph-permissions.json'
)

install_bicep() {
  if [[ -x "$BICEP" && "$(cat "$BIN_DIR/VERSION" 2>/dev/null)" == "$BICEP_VERSION" ]]; then
    return 0
  fi
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "bicep-check: 'dotnet' is not installed, so the Bicep compiler cannot be restored from NuGet."
    echo "bicep-check: SKIPPED (install the .NET SDK, or the Bicep CLI, to build and lint infra/)."
    exit 0
  fi
  local work
  work="$(mktemp -d)"
  # The project exists only so that `dotnet restore` downloads the package; nothing is built.
  cat >"$work/restore.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="Azure.Bicep.CommandLine.linux-x64" Version="$BICEP_VERSION" /></ItemGroup>
</Project>
CSPROJ
  echo "bicep-check: restoring Azure.Bicep.CommandLine.linux-x64 $BICEP_VERSION from NuGet"
  dotnet restore "$work/restore.csproj" --packages "$work/packages" --verbosity quiet
  mkdir -p "$BIN_DIR"
  install -m 0755 "$work/packages/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep" "$BICEP"
  echo "$BICEP_VERSION" >"$BIN_DIR/VERSION"
  rm -rf "$work"
}

install_bicep
if [[ "${1:-}" == '--install-only' ]]; then
  echo "$BICEP"
  exit 0
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 BICEP_TRACING_ENABLED=false
cd "$ROOT"
out_dir="$(mktemp -d)"
trap 'rm -rf "$out_dir"' EXIT
failed=0
checked=0
while IFS= read -r file; do
  if [[ -n "${OFFLINE_SKIP[$file]:-}" ]]; then
    echo "bicep-check: SKIPPED $file: ${OFFLINE_SKIP[$file]}"
    continue
  fi
  checked=$((checked + 1))
  for command in build lint; do
    args=("$command" "$file")
    [[ "$command" == build ]] && args+=(--outdir "$out_dir")
    if ! output="$("$BICEP" "${args[@]}" 2>&1)"; then
      failed=1
    fi
    if [[ -n "$output" ]]; then
      echo "$output"
      # Warnings count as failures: every accepted one must be disabled inline with a reason.
      grep -qE ': (Warning|Error) ' <<<"$output" && failed=1
    fi
  done
done < <(find infra -name '*.bicep' | sort)

if [[ "$failed" -ne 0 ]]; then
  echo "bicep-check: FAILED (see the diagnostics above)"
  exit 1
fi
echo "bicep-check: OK, $checked templates built and linted with Bicep $BICEP_VERSION"
