// The multi-tenant app registration through which one deployment reaches its customers' tenants (MSPs), with no
// secret: its only credential is a federated identity credential that trusts the function app's managed identity.
// At run time the identity gets a token for api://AzureADTokenExchange and presents it as the app's client assertion
// in the customer tenant (src/graph/tenants.ts). Creating an app registration needs the Application Developer (or
// Cloud Application Administrator) role, so like graph-permissions.bicep it is not part of main.bicep: an admin
// deploys it once and passes its appId to main.bicep as multiTenantAppId (docs/deploy.md, "Customer tenants").
extension microsoftGraphV1

@description('Object id of the function app\'s managed identity: the only workload the app registration trusts.')
param identityPrincipalId string

@description('Unique name (alternate key) of the app registration, e.g. license-shift-<environment>.')
param uniqueName string

@description('Display name customers see on the admin-consent page.')
param displayName string = 'license-shift'

@description('Feature usageLocation: also ask customers for the role that sets a missing usage location on users.')
param enableUsageLocation bool = false

@description('Feature groupMoves: also ask customers for the role that changes group memberships.')
param enableGroupMoves bool = false

// The same one list as the managed identity's grants: what each customer consents to is exactly what the code uses.
var permissions = loadJsonContent('../graph-permissions.json')
var roles = union(
  permissions.appRoles,
  enableUsageLocation ? permissions.featureAppRoles.usageLocation : [],
  enableGroupMoves ? permissions.featureAppRoles.groupMoves : []
)

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: permissions.resourceAppId
}

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMultipleOrgs'
  requiredResourceAccess: [
    {
      resourceAppId: permissions.resourceAppId
      resourceAccess: [
        for role in roles: {
          id: filter(graph.appRoles, appRole => appRole.value == role)[0].id
          type: 'Role'
        }
      ]
    }
  ]

  resource managedIdentityCredential 'federatedIdentityCredentials@v1.0' = {
    name: '${app.uniqueName}/function-app-managed-identity'
    description: 'The license-shift function app\'s managed identity; no secret or certificate exists.'
    // Tokens the managed identity gets are issued by this tenant's Entra ID, about the identity's object id.
    issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
    subject: identityPrincipalId
    audiences: ['api://AzureADTokenExchange']
  }
}

@description('Pass this to main.bicep as multiTenantAppId (the app setting GRAPH_MULTITENANT_APP_ID).')
output appId string = app.appId
output requestedRoles string[] = roles
