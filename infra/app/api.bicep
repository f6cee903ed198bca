// The Flex Consumption plan and function app (Node 22). Every connection is identity-based through the
// user-assigned managed identity: no keys, secrets or publishing credentials.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
@allowed(['durableTaskScheduler', 'azureStorage'])
param durableBackend string
@description('Durable Task Scheduler endpoint; empty with the Azure Storage backend.')
param durableTaskSchedulerEndpoint string
param taskHubName string
param graphBaseUrl string
param graphWriteBudget int
param graphResourceUnitBudget int
param migrationSchedule string
param maximumInstanceCount int
param instanceMemoryMB int
@description('Client id of the multi-tenant app registration (app/multitenant-app.bicep); empty for one tenant only.')
param multiTenantAppId string

var useScheduler = durableBackend == 'durableTaskScheduler'

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'node', version: '22' }
    }
  }

  // The names mirror APP_SETTINGS in src/config/settings.ts (test/infra checks that every Azure setting is here).
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
      AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
      AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: useScheduler
        ? 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
        : ''
      // host.json names the scheduler backend; these two override it when the Azure Storage backend is chosen.
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: useScheduler
        ? 'azureManaged'
        : 'AzureStorage'
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: useScheduler
        ? 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
        : 'AzureWebJobsStorage'
      TASKHUB_NAME: taskHubName
      GRAPH_BASE_URL: graphBaseUrl
      GRAPH_AUTH: 'managedIdentity'
      AZURE_CLIENT_ID: identityClientId
      // Runs that name no tenant act in the deployment's own tenant; customer tenants go through the app registration.
      HOME_TENANT_ID: tenant().tenantId
      GRAPH_MULTITENANT_APP_ID: multiTenantAppId
      GRAPH_WRITE_BUDGET: string(graphWriteBudget)
      GRAPH_RESOURCE_UNIT_BUDGET: string(graphResourceUnitBudget)
      MIGRATION_SCHEDULE: migrationSchedule
      // The worker's heap limit at half the instance's memory. V8 otherwise sizes it from the memory it sees and, with
      // a limit of 2 GB or more, lets the heap grow to 4× what a collection leaves before collecting: at 100,000 users
      // about 100 MB live grew to 400 MB of heap (bench peak RSS 561 MiB; 393–464 MiB in three runs with this
      // limit, at the same users/s).
      NODE_OPTIONS: '--max-old-space-size=${instanceMemoryMB / 2}'
    }
  }

  // Publishing uses Entra ID tokens (azd, az); basic-auth publishing credentials stay off.
  resource ftpPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
  }

  resource scmPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }
}

output name string = functionApp.name
output uri string = 'https://${functionApp.properties.defaultHostName}'
