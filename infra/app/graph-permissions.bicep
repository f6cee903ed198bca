// Grants the managed identity its Microsoft Graph application permissions (app roles), read from
// ../graph-permissions.json, the list the admin script uses too. Only a Privileged Role Administrator or
// Global Administrator can deploy this, so it is not part of main.bicep: an admin deploys it on its own
// (docs/deploy.md) or runs ../scripts/grant-graph-permissions.sh. It is also excluded from the offline
// CI build, because the Graph extension's types are only published to mcr.microsoft.com.
extension microsoftGraphV1

@description('Object id of the managed identity (its service principal) that receives the roles.')
param identityPrincipalId string

var permissions = loadJsonContent('../graph-permissions.json')

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: permissions.resourceAppId
}

resource appRoleAssignments 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in permissions.appRoles: {
    principalId: identityPrincipalId
    resourceId: graph.id
    appRoleId: filter(graph.appRoles, appRole => appRole.value == role)[0].id
  }
]

output grantedRoles string[] = permissions.appRoles
