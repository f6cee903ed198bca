#!/usr/bin/env bash
# Builds and lints every Bicep template under infra/ with the real Bicep compiler, offline, with nothing skipped.
#
# The compiler comes from NuGet (Azure.Bicep.CommandLine.linux-x64), restored by a throw-away project and cached in
# .bicep/bin (git-ignored). The Microsoft Graph extension that graph-permissions.bicep declares is normally pulled from
# a container registry; here it is packed from the vendored types (infra/vendor/msgraph-bicep-types-v1.0-1.0.0) with
# `bicep publish-extension`, and the templates are compiled in a copy of infra/ whose bicepconfig.json is the committed
# one (same analyzer rules) with only `extensions.microsoftGraphV1` pointing at that local archive. The committed
# infra/bicepconfig.json keeps the registry reference for real deployments.
#
# Any warning fails the check unless it is suppressed inline with `#disable-next-line <rule> // <reason>`.
# Usage: infra/scripts/bicep-check.sh                  build and lint every template
#        infra/scripts/bicep-check.sh --install-only   restore the compiler only; prints its path
#        infra/scripts/bicep-check.sh --workspace DIR  prepare the offline copy of infra/ in DIR (an empty folder) and
#                                                      print the compiler's path; test/infra compiles from there
set -euo pipefail

BICEP_VERSION='0.49.2'
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN_DIR="$ROOT/.bicep/bin"
BICEP="$BIN_DIR/bicep"
GRAPH_TYPES="$ROOT/infra/vendor/msgraph-bicep-types-v1.0-1.0.0/index.json"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 BICEP_TRACING_ENABLED=false

install_bicep() {
  if [[ -x "$BICEP" && "$(cat "$BIN_DIR/VERSION" 2>/dev/null)" == "$BICEP_VERSION" ]]; then
    return 0
  fi
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "bicep-check: 'dotnet' is not installed, so the Bicep compiler cannot be restored from NuGet." >&2
    echo "bicep-check: install the .NET SDK (Debian: apt-get install dotnet-sdk-8.0), then run this again." >&2
    if [[ "${REQUIRE_ALL_TESTS:-}" == 1 ]]; then
      echo "bicep-check: FAILED: REQUIRE_ALL_TESTS=1 (CI) does not allow skipping the templates." >&2
      exit 1
    fi
    echo "bicep-check: SKIPPED (set REQUIRE_ALL_TESTS=1 to make this an error)."
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
  echo "bicep-check: restoring Azure.Bicep.CommandLine.linux-x64 $BICEP_VERSION from NuGet" >&2
  dotnet restore "$work/restore.csproj" --packages "$work/packages" --verbosity quiet >&2
  mkdir -p "$BIN_DIR"
  install -m 0755 "$work/packages/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep" "$BICEP"
  echo "$BICEP_VERSION" >"$BIN_DIR/VERSION"
  rm -rf "$work"
}

# Copies infra/ into $1/infra, packs the Graph extension into $1/graph-v1.tgz and writes $1/infra/bicepconfig.json.
prepare_workspace() {
  local dir="$1" output
  cp -R "$ROOT/infra" "$dir/infra"
  if ! output="$("$BICEP" publish-extension "$GRAPH_TYPES" --target "$dir/graph-v1.tgz" 2>&1)"; then
    echo "$output" >&2
    echo "bicep-check: could not pack the Microsoft Graph extension from $GRAPH_TYPES" >&2
    exit 1
  fi
  node -e '
    const fs = require("node:fs");
    const [committed, target] = process.argv.slice(1);
    const config = JSON.parse(fs.readFileSync(committed, "utf8"));
    if (!config.extensions || typeof config.extensions.microsoftGraphV1 !== "string") {
      console.error(`${committed} has no extensions.microsoftGraphV1 to replace`);
      process.exit(1);
    }
    config.extensions.microsoftGraphV1 = "../graph-v1.tgz";
    fs.writeFileSync(target, JSON.stringify(config, null, 2));
  ' "$ROOT/infra/bicepconfig.json" "$dir/infra/bicepconfig.json"
}

install_bicep
case "${1:-}" in
  --install-only)
    echo "$BICEP"
    exit 0
    ;;
  --workspace)
    dir="${2:?--workspace needs an empty folder}"
    mkdir -p "$dir"
    prepare_workspace "$(cd "$dir" && pwd)"
    echo "$BICEP"
    exit 0
    ;;
  '') ;;
  *) echo "bicep-check: unknown argument $1" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prepare_workspace "$work"
checked="$(cd "$work" && find infra -name '*.bicep' | wc -l)"
failed=0
# One compiler start per command (it takes seconds): --pattern builds or lints every template in one go.
for command in build lint; do
  if ! output="$(cd "$work" && "$BICEP" "$command" --pattern 'infra/**/*.bicep' 2>&1)"; then
    failed=1
  fi
  # Diagnostics name the copy; show the repository's paths instead.
  output="${output//$work\//}"
  if [[ -n "$output" ]]; then
    echo "$output"
    # Warnings count as failures: every accepted one must be disabled inline with a reason.
    grep -qE ': (Warning|Error) ' <<<"$output" && failed=1
  fi
done

if [[ "$checked" -eq 0 ]]; then
  echo "bicep-check: FAILED: no templates found under infra/" >&2
  exit 1
fi
if [[ "$failed" -ne 0 ]]; then
  echo "bicep-check: FAILED (see the diagnostics above)"
  exit 1
fi
echo "bicep-check: OK, $checked templates built and linted with Bicep $BICEP_VERSION (Graph extension from the vendored types)"
