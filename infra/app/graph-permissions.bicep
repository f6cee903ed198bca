// Grants the managed identity its Microsoft Graph application permissions (app roles), read from
// ../graph-permissions.json (generated from src/graph/permissions.ts), the list the admin script uses too: the
// always-needed roles, plus those of each feature switched on below. Only a Privileged Role Administrator or Global
// Administrator can deploy this, so it is not part of main.bicep: an admin deploys it on its own (docs/deploy.md) or
// runs ../scripts/grant-graph-permissions.sh.
extension microsoftGraphV1

@description('Object id of the managed identity (its service principal) that receives the roles.')
param identityPrincipalId string

@description('Feature usageLocation: also grant the role that sets a missing usage location on users.')
param enableUsageLocation bool = false

@description('Feature groupMoves: also grant the role that changes group memberships.')
param enableGroupMoves bool = false

var permissions = loadJsonContent('../graph-permissions.json')
var roles = union(
  permissions.appRoles,
  enableUsageLocation ? permissions.featureAppRoles.usageLocation : [],
  enableGroupMoves ? permissions.featureAppRoles.groupMoves : []
)

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: permissions.resourceAppId
}

resource appRoleAssignments 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in roles: {
    principalId: identityPrincipalId
    resourceId: graph.id
    appRoleId: filter(graph.appRoles, appRole => appRole.value == role)[0].id
  }
]

output grantedRoles string[] = roles
