// The license-shift workbook, attached to Application Insights so it opens from the resource's Workbooks blade.
param location string
param tags object
param applicationInsightsId string

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A stable name per resource group, so redeploying updates the workbook instead of adding a copy.
  name: guid(resourceGroup().id, 'license-shift-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'license-shift: migrations'
    category: 'workbook'
    sourceId: applicationInsightsId
    serializedData: loadTextContent('license-shift.workbook.json')
  }
}

output id string = workbook.id
