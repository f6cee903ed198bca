// Log Analytics and workspace-based Application Insights with local (key) authentication disabled, plus the
// license-shift workbook and saved queries. Telemetry is accepted only from Entra ID principals.
param logAnalyticsName string
param applicationInsightsName string
param location string
param tags object

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
    features: { disableLocalAuth: true }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

// Attached to Application Insights, so it opens from the resource's Workbooks blade.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A stable name per resource group, so redeploying updates the workbook instead of adding a copy.
  name: guid(resourceGroup().id, 'license-shift-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'license-shift: migrations'
    category: 'workbook'
    sourceId: applicationInsights.id
    serializedData: loadTextContent('license-shift.workbook.json')
  }
}

module savedSearches 'saved-searches.bicep' = {
  params: {
    logAnalyticsName: logAnalytics.name
  }
}

output logAnalyticsName string = logAnalytics.name
output applicationInsightsName string = applicationInsights.name
// Not a secret: with local auth disabled, ingestion also requires an Entra token with the publisher role.
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
output workbookId string = workbook.id
