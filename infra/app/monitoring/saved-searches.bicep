// Saved KQL queries in the Log Analytics workspace (Logs > Queries > license-shift). Each query lives in
// queries/<name>.kql; the workspace schema (AppEvents, AppMetrics) is used because saved searches run there.
param logAnalyticsName string

var category = 'license-shift'
var queries = [
  {
    name: 'licenseShiftMigrationsByOutcome'
    displayName: 'Migrations by outcome'
    query: loadTextContent('queries/migrations-by-outcome.kql')
  }
  {
    name: 'licenseShiftRunningMigrations'
    displayName: 'Progress of running migrations'
    query: loadTextContent('queries/running-migrations.kql')
  }
  {
    name: 'licenseShiftFailuresByReason'
    displayName: 'User failures by reason'
    query: loadTextContent('queries/failures-by-reason.kql')
  }
  {
    name: 'licenseShiftThroughput'
    displayName: 'Throughput and throttling over time'
    query: loadTextContent('queries/throughput-and-throttling.kql')
  }
  {
    name: 'licenseShiftWaitingForLicenses'
    displayName: 'Migrations waiting for licenses'
    query: loadTextContent('queries/waiting-for-licenses.kql')
  }
]

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: logAnalyticsName
}

resource savedSearches 'Microsoft.OperationalInsights/workspaces/savedSearches@2025-02-01' = [
  for query in queries: {
    parent: logAnalytics
    name: query.name
    properties: {
      category: category
      displayName: query.displayName
      query: query.query
      version: 2
    }
  }
]
