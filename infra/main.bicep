// license-shift on Azure: Flex Consumption function app (Node 22) with a user-assigned managed identity,
// Durable Task Scheduler (or Azure Storage) as the durable backend, identity-only storage and Application
// Insights, and the portal workbook and saved queries. No keys, connection secrets or publishing credentials.
// Microsoft Graph application permissions are granted separately by an admin: see docs/deploy.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; also names the resource group and seeds resource names.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer Flex Consumption and, with the default backend, Durable Task Scheduler.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the person or pipeline running the deployment; gets the Durable Task dashboard role. Empty: no extra role.')
param principalId string = ''

@description('Kind of principal in principalId.')
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@description('Durable Functions backend: the Durable Task Scheduler (recommended) or the Azure Storage provider.')
@allowed(['durableTaskScheduler', 'azureStorage'])
param durableBackend string = 'durableTaskScheduler'

@description('NCRONTAB (6 fields, UTC) of the timer that starts due scheduled bulk moves.')
param migrationSchedule string = '0 */5 * * * *'

@description('Microsoft Graph base URL with version; change the host for national clouds.')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('Most Flex Consumption instances; Graph throttles per tenant, so more instances do not move users faster.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Graph writes per 150 s the app may spend in the tenant (Graph allows 3,000 per app and tenant).')
@minValue(1)
@maxValue(3000)
param graphWriteBudget int = 2850

@description('Graph resource units per 10 s the app may spend (3,500 small / 5,000 medium / 8,000 large tenants).')
@minValue(1)
param graphResourceUnitBudget int = 3300

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Client id (appId) of the multi-tenant app registration made by app/multitenant-app.bicep, for customer tenants. Empty: the deployment acts in its own tenant only.')
param multiTenantAppId string = ''

var tags = { 'azd-env-name': environmentName }
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var functionAppName = 'func-${resourceToken}'
// Flex Consumption deploys from this blob container; the name is kept short and unique per app.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var taskHubName = 'licenseshift'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  scope: resourceGroup
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  scope: resourceGroup
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: [deploymentContainerName, 'license-shift']
  }
}

module monitoring 'app/monitoring/monitoring.bicep' = {
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module durableTaskScheduler 'app/dts.bicep' = if (durableBackend == 'durableTaskScheduler') {
  scope: resourceGroup
  params: {
    schedulerName: 'dts-${resourceToken}'
    taskHubName: taskHubName
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module rbac 'app/rbac.bicep' = {
  scope: resourceGroup
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    identityPrincipalId: identity.outputs.principalId
  }
}

module api 'app/api.bicep' = {
  scope: resourceGroup
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    durableBackend: durableBackend
    durableTaskSchedulerEndpoint: durableBackend == 'durableTaskScheduler' ? durableTaskScheduler!.outputs.endpoint : ''
    taskHubName: taskHubName
    graphBaseUrl: graphBaseUrl
    graphWriteBudget: graphWriteBudget
    graphResourceUnitBudget: graphResourceUnitBudget
    migrationSchedule: migrationSchedule
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    multiTenantAppId: multiTenantAppId
  }
  // The host must be able to read its deployment package and storage before it first starts.
  dependsOn: [rbac]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_IDENTITY_NAME string = identity.outputs.name
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
@description('Object id of the managed identity: the principal that receives the Graph application permissions.')
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output AZURE_LOG_ANALYTICS_NAME string = monitoring.outputs.logAnalyticsName
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_ENDPOINT string = durableBackend == 'durableTaskScheduler'
  ? durableTaskScheduler!.outputs.endpoint
  : ''
output DURABLE_TASK_SCHEDULER_DASHBOARD_URL string = durableBackend == 'durableTaskScheduler'
  ? durableTaskScheduler!.outputs.dashboardUrl
  : ''
