#!/usr/bin/env bash
# Grants the function app's managed identity the Microsoft Graph application permissions listed in
# infra/graph-permissions.json (generated from src/graph/permissions.ts): the roles every deployment needs, plus the
# roles of the features that are switched on. Idempotent: roles already granted are left alone, so it can run after
# every `azd provision`. Needs an admin who may grant Graph app roles (Privileged Role Administrator or Global
# Administrator), signed in with `az login`, and Node.js (already needed to build the app).
#
# Usage: infra/scripts/grant-graph-permissions.sh [--principal-id <object id>] [--method cli|bicep] [--if-enabled]
#                                                  [--feature usageLocation|groupMoves]...
#   --principal-id  managed identity's object id; default $AZURE_IDENTITY_PRINCIPAL_ID (an azd output)
#   --method        cli (default): Graph REST calls through `az rest`;
#                   bicep: deploy infra/app/graph-permissions.bicep into $AZURE_RESOURCE_GROUP
#   --if-enabled    do nothing unless GRANT_GRAPH_PERMISSIONS is true (the azd postprovision hook uses this)
#   --feature       also grant a feature's roles (repeatable). The same from the environment (azd env set):
#                   GRANT_USAGE_LOCATION_PERMISSION=true (usageLocation), GRANT_GROUP_MOVES_PERMISSION=true (groupMoves)
set -euo pipefail

INFRA="$(cd "$(dirname "$0")/.." && pwd)"
PERMISSIONS_FILE="$INFRA/graph-permissions.json"
principal_id="${AZURE_IDENTITY_PRINCIPAL_ID:-}"
method='cli'
if_enabled=false
features=()
[[ "${GRANT_USAGE_LOCATION_PERMISSION:-false}" == true ]] && features+=(usageLocation)
[[ "${GRANT_GROUP_MOVES_PERMISSION:-false}" == true ]] && features+=(groupMoves)

while [[ $# -gt 0 ]]; do
  case "$1" in
    --principal-id) principal_id="${2:?--principal-id needs a value}"; shift 2 ;;
    --method) method="${2:?--method needs cli or bicep}"; shift 2 ;;
    --if-enabled) if_enabled=true; shift ;;
    --feature) features+=("${2:?--feature needs usageLocation or groupMoves}"); shift 2 ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "grant-graph-permissions: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [[ "$if_enabled" == true && "${GRANT_GRAPH_PERMISSIONS:-false}" != true ]]; then
  echo "grant-graph-permissions: skipped (GRANT_GRAPH_PERMISSIONS is not true). An admin grants the roles later:"
  echo "  infra/scripts/grant-graph-permissions.sh --principal-id ${principal_id:-<AZURE_IDENTITY_PRINCIPAL_ID>}"
  exit 0
fi
if [[ -z "$principal_id" ]]; then
  echo "grant-graph-permissions: no principal id: pass --principal-id or set AZURE_IDENTITY_PRINCIPAL_ID (azd env get-values)." >&2
  exit 2
fi

# The permissions file is read with node because jq is not on every admin's machine. First line: the resource
# application id; then one role per line (the always-needed ones and those of the chosen features, no duplicates).
mapfile -t permissions < <(node -e '
  const [file, ...features] = process.argv.slice(1);
  const p = require(file);
  const roles = [...p.appRoles];
  for (const feature of features) {
    const extra = p.featureAppRoles[feature];
    if (!Array.isArray(extra)) {
      console.error(`unknown feature ${feature}; known: ${Object.keys(p.featureAppRoles).join(", ")}`);
      process.exit(1);
    }
    roles.push(...extra);
  }
  console.log([p.resourceAppId, ...new Set(roles)].join("\n"));
' "$PERMISSIONS_FILE" "${features[@]}" || true)
if [[ ${#permissions[@]} -lt 2 ]]; then
  echo "grant-graph-permissions: could not read $PERMISSIONS_FILE" >&2
  exit 1
fi
resource_app_id="${permissions[0]}"
wanted_roles=("${permissions[@]:1}")
has_feature() { [[ " ${features[*]} " == *" $1 "* ]]; }

if [[ "$method" == bicep ]]; then
  : "${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP (azd env get-values) to deploy the Bicep module}"
  az deployment group create --resource-group "$AZURE_RESOURCE_GROUP" --name license-shift-graph-permissions \
    --template-file "$INFRA/app/graph-permissions.bicep" --parameters identityPrincipalId="$principal_id" \
    enableUsageLocation="$(has_feature usageLocation && echo true || echo false)" \
    enableGroupMoves="$(has_feature groupMoves && echo true || echo false)" --output none
  echo "grant-graph-permissions: deployed graph-permissions.bicep for ${wanted_roles[*]}"
  exit 0
elif [[ "$method" != cli ]]; then
  echo "grant-graph-permissions: --method must be cli or bicep" >&2
  exit 2
fi

# The Graph endpoint of the signed-in cloud (national clouds differ); it ends with a slash.
graph_url="$(az cloud show --query endpoints.microsoftGraphResourceId --output tsv)"
graph_url="${graph_url%/}/v1.0"

graph_sp_json="$(az ad sp show --id "$resource_app_id" --output json)"
assignments_json="$(az rest --method GET --uri "$graph_url/servicePrincipals/$principal_id/appRoleAssignments" --output json)"

# Prints the Graph service principal's id, then "<role>\t<appRoleId>\t<granted|missing>" per wanted role; fails
# when Graph has no such application role.
mapfile -t plan < <(
  node -e '
    const [graphSp, assignments, ...wanted] = process.argv.slice(1);
    const sp = JSON.parse(graphSp);
    const granted = new Set(JSON.parse(assignments).value.filter((a) => a.resourceId === sp.id).map((a) => a.appRoleId));
    const lines = [sp.id];
    for (const value of wanted) {
      const role = sp.appRoles.find((r) => r.value === value && r.allowedMemberTypes.includes("Application"));
      if (!role) { console.error(`Graph has no application permission named ${value}`); process.exit(1); }
      lines.push([value, role.id, granted.has(role.id) ? "granted" : "missing"].join("\t"));
    }
    console.log(lines.join("\n"));
  ' "$graph_sp_json" "$assignments_json" "${wanted_roles[@]}" || echo 'FAILED'
)
if [[ "${plan[-1]:-FAILED}" == FAILED ]]; then
  echo "grant-graph-permissions: nothing granted." >&2
  exit 1
fi
graph_sp_id="${plan[0]}"

while IFS=$'\t' read -r role role_id state; do
  if [[ "$state" == granted ]]; then
    echo "grant-graph-permissions: $role already granted"
    continue
  fi
  az rest --method POST --uri "$graph_url/servicePrincipals/$principal_id/appRoleAssignments" \
    --headers 'Content-Type=application/json' \
    --body "{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" --output none
  echo "grant-graph-permissions: $role granted"
done < <(printf '%s\n' "${plan[@]:1}")
echo "grant-graph-permissions: done. New roles can take a while to reach the app's tokens (cached up to ~24 h)."
