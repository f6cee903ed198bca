// Durable Task Scheduler and its task hub: the recommended Durable Functions backend. The app's identity
// is a data contributor; the deployer gets the same role so the DTS dashboard shows the orchestrations.
param schedulerName string
param taskHubName string
param location string
param tags object
param identityPrincipalId string
@description('Deployer object id for dashboard access; empty to skip.')
param deployerPrincipalId string
@allowed(['User', 'ServicePrincipal'])
param deployerPrincipalType string

var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: schedulerName
  location: location
  tags: tags
  properties: {
    sku: { name: 'Consumption' }
    // Access is by Entra ID role only; the endpoint is public, as in the official quickstart.
    ipAllowlist: ['0.0.0.0/0']
  }

  resource taskHub 'taskHubs' = {
    name: taskHubName
  }
}

resource appRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, identityPrincipalId, durableTaskDataContributor)
  scope: scheduler
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
  }
}

resource deployerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(scheduler.id, deployerPrincipalId, durableTaskDataContributor)
  scope: scheduler
  properties: {
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
  }
}

output endpoint string = scheduler.properties.endpoint
output taskHubName string = scheduler::taskHub.name
output dashboardUrl string = scheduler::taskHub.properties.dashboardUrl
