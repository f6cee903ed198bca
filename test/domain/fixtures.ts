/**
 * Tenant SKUs for domain tests, transcribed from Microsoft's "Product names and service plan identifiers for
 * licensing" table (data/product-names-and-service-plan-identifiers.csv): real SKU and plan GUIDs.
 */
import { planUser } from '../../src/domain/plan';
import type {
  AssignedLicense,
  LicenseAssignmentState,
  MigrationRequest,
  PlannedUser,
  ResolvedMove,
  ServicePlan,
  TenantSku,
  UserLicenseSnapshot,
} from '../../src/domain/types';

function sku(skuId: string, skuPartNumber: string, plans: [string, string][], enabled = 100, consumed = 0): TenantSku {
  return {
    skuId,
    skuPartNumber,
    appliesTo: 'User',
    capabilityStatus: 'Enabled',
    consumedUnits: consumed,
    prepaidUnits: { enabled, warning: 0, suspended: 0, lockedOut: 0 },
    servicePlans: plans.map(([servicePlanName, servicePlanId]): ServicePlan => ({
      servicePlanId,
      servicePlanName,
      appliesTo: 'User',
      provisioningStatus: 'Success',
    })),
  };
}

/** Microsoft 365 Business Standard */
export const BUSINESS_STANDARD = sku('f245ecc8-75af-4f8e-b61f-27d8114de5f3', 'O365_BUSINESS_PREMIUM', [
  ['DYN365BC_MS_INVOICING', '39b5c996-467e-4e60-bd62-46066f572726'],
  ['MESH_AVATARS_FOR_TEAMS', 'dcf9d2f4-772e-4434-b757-77a453cfbc02'],
  ['MESH_AVATARS_ADDITIONAL_FOR_TEAMS', '3efbd4ed-8958-4824-8389-1321f8730af8'],
  ['CDS_O365_P2', '95b76021-6a53-4741-ab8b-1d1f3d66a95a'],
  ['Bing_Chat_Enterprise', '0d0c0d31-fae7-41f2-b909-eaf4d7f26dba'],
  ['EXCHANGE_S_STANDARD', '9aaf7827-d63c-4b61-89c3-182f06f82e5c'],
  ['MYANALYTICS_P2', '33c4f319-9bdd-48d6-9c4d-410b750a4a5a'],
  ['OFFICE_BUSINESS', '094e7854-93fc-4d55-b2c0-3ab5369ebdc1'],
  ['M365_LIGHTHOUSE_CUSTOMER_PLAN1', '6f23d6a9-adbf-481c-8538-b4c095654487'],
  ['MICROSOFTBOOKINGS', '199a5c09-e0ca-4e37-8f7c-b05d533e1ea2'],
  ['CLIPCHAMP', 'a1ace008-72f3-4ea0-8dac-33b3a23a2472'],
  ['FORMS_PLAN_E1', '159f4cd6-e380-449f-a816-af1a9ef76344'],
  ['KAIZALA_O365_P2', '54fc630f-5a40-48ee-8965-af0503c1386e'],
  ['MICROSOFT_LOOP', 'c4b8c31a-fb44-4c65-9837-a21f55fcabda'],
  ['PROJECTWORKMANAGEMENT', 'b737dad2-2f6c-4c65-90e3-ca563267e8b9'],
  ['MICROSOFT_SEARCH', '94065c59-bc8e-4e8b-89e5-5138d471eaff'],
  ['Deskless', '8c7d2df8-86f0-4902-b2ed-a0458298f3b3'],
  ['TEAMS1', '57ff2da0-773e-42df-b2af-ffb7a2317929'],
  ['INTUNE_O365', '882e1d05-acd1-4ccb-8708-6ee03664b117'],
  ['Nucleus', 'db4d623d-b514-490b-b7ef-8885eee514de'],
  ['SHAREPOINTWAC', 'e95bec33-7c88-4a70-8e19-b10bd9d0c014'],
  ['PROJECT_O365_P2', '31b4e2fc-4cd6-4e7d-9c1b-41407303bd66'],
  ['O365_SB_Relationship_Management', '5bfe124c-bbdc-4494-8835-f1297d457d79'],
  ['SHAREPOINTSTANDARD', 'c7699d2e-19aa-44de-8edf-1736da088ca1'],
  ['MCOSTANDARD', '0feaeb32-d00e-4d66-bd5a-43b5b83db82c'],
  ['STREAM_O365_SMB', '3c53ea51-d578-46fa-a4c0-fd0a92809a60'],
  ['SWAY', 'a23b959c-7ce8-4e57-9140-b90eb88a9e97'],
  ['BPOS_S_TODO_1', '5e62787c-c316-451f-b873-1d05acd4d12c'],
  ['VIVAENGAGE_CORE', 'a82fbf69-b4d7-49f4-83a6-915b2cf354f4'],
  ['VIVA_LEARNING_SEEDED', 'b76fb638-6ba6-402a-b9f9-83d28acb3d86'],
  ['WHITEBOARD_PLAN1', 'b8afc642-032e-4de5-8c0a-507a7bba7e5d'],
  ['YAMMER_ENTERPRISE', '7547a3fe-08ee-4ccb-b430-5077c5041653'],
  ['DYN365_CDS_O365_P2', '4ff01e01-1ba7-4d71-8cf8-ce96c3bbcf14'],
  ['RMS_S_BASIC', '31cf2cfc-6b0d-4adc-a336-88b724ed8122'],
  ['POWERAPPS_O365_P1', '92f7a6f3-b89b-4bbd-8c30-809e6da5ad1c'],
  ['FLOW_O365_P1', '0f9b09cb-62d1-4ff4-9129-43f4996f83f4'],
  ['POWER_VIRTUAL_AGENTS_O365_P2', '041fe683-03e4-45b6-b1af-c0cdc516daee'],
]);

/** Microsoft 365 Business Premium */
export const BUSINESS_PREMIUM = sku('cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', 'SPB', [
  ['DYN365BC_MS_INVOICING', '39b5c996-467e-4e60-bd62-46066f572726'],
  ['MESH_AVATARS_FOR_TEAMS', 'dcf9d2f4-772e-4434-b757-77a453cfbc02'],
  ['MESH_AVATARS_ADDITIONAL_FOR_TEAMS', '3efbd4ed-8958-4824-8389-1321f8730af8'],
  ['RMS_S_ENTERPRISE', 'bea4c11e-220a-4e6d-8eb8-8ea15d019f90'],
  ['CDS_O365_P3', 'afa73018-811e-46e9-988f-f75d2b1b8430'],
  ['Bing_Chat_Enterprise', '0d0c0d31-fae7-41f2-b909-eaf4d7f26dba'],
  ['BPOS_S_DlpAddOn', '9bec7e34-c9fa-40b7-a9d1-bd6d1165c7ed'],
  ['EXCHANGE_S_FOUNDATION', '113feb6c-3fe4-4440-bddc-54d774bf0318'],
  ['EXCHANGE_S_STANDARD', '9aaf7827-d63c-4b61-89c3-182f06f82e5c'],
  ['EXCHANGE_S_ARCHIVE_ADDON', '176a09a6-7ec5-4039-ac02-b2791c6ba793'],
  ['MYANALYTICS_P2', '33c4f319-9bdd-48d6-9c4d-410b750a4a5a'],
  ['OFFICE_BUSINESS', '094e7854-93fc-4d55-b2c0-3ab5369ebdc1'],
  ['M365_LIGHTHOUSE_CUSTOMER_PLAN1', '6f23d6a9-adbf-481c-8538-b4c095654487'],
  ['M365_LIGHTHOUSE_PARTNER_PLAN1', 'd55411c9-cfff-40a9-87c7-240f14df7da5'],
  ['MICROSOFTBOOKINGS', '199a5c09-e0ca-4e37-8f7c-b05d533e1ea2'],
  ['CLIPCHAMP', 'a1ace008-72f3-4ea0-8dac-33b3a23a2472'],
  ['MDE_SMB', 'bfc1bbd9-981b-4f71-9b82-17c35fd0e2a4'],
  ['ATP_ENTERPRISE', 'f20fedf3-f3c3-43c3-8267-2bfdd51c0939'],
  ['FORMS_PLAN_E1', '159f4cd6-e380-449f-a816-af1a9ef76344'],
  ['KAIZALA_O365_P2', '54fc630f-5a40-48ee-8965-af0503c1386e'],
  ['MICROSOFT_LOOP', 'c4b8c31a-fb44-4c65-9837-a21f55fcabda'],
  ['PROJECTWORKMANAGEMENT', 'b737dad2-2f6c-4c65-90e3-ca563267e8b9'],
  ['MICROSOFT_SEARCH', '94065c59-bc8e-4e8b-89e5-5138d471eaff'],
  ['Deskless', '8c7d2df8-86f0-4902-b2ed-a0458298f3b3'],
  ['TEAMS1', '57ff2da0-773e-42df-b2af-ffb7a2317929'],
  ['INTUNE_O365', '882e1d05-acd1-4ccb-8708-6ee03664b117'],
  ['Nucleus', 'db4d623d-b514-490b-b7ef-8885eee514de'],
  ['SHAREPOINTWAC', 'e95bec33-7c88-4a70-8e19-b10bd9d0c014'],
  ['OFFICE_SHARED_COMPUTER_ACTIVATION', '276d6e8a-f056-4f70-b7e8-4fc27f79f809'],
  ['PROJECT_O365_P3', 'b21a6b06-1988-436e-a07b-51ec6d9f52ad'],
  ['PURVIEW_DISCOVERY', 'c948ea65-2053-4a5a-8a62-9eaaaf11b522'],
  ['O365_SB_Relationship_Management', '5bfe124c-bbdc-4494-8835-f1297d457d79'],
  ['SHAREPOINTSTANDARD', 'c7699d2e-19aa-44de-8edf-1736da088ca1'],
  ['MCOSTANDARD', '0feaeb32-d00e-4d66-bd5a-43b5b83db82c'],
  ['SWAY', 'a23b959c-7ce8-4e57-9140-b90eb88a9e97'],
  ['BPOS_S_TODO_1', '5e62787c-c316-451f-b873-1d05acd4d12c'],
  ['VIVAENGAGE_CORE', 'a82fbf69-b4d7-49f4-83a6-915b2cf354f4'],
  ['VIVA_LEARNING_SEEDED', 'b76fb638-6ba6-402a-b9f9-83d28acb3d86'],
  ['WHITEBOARD_PLAN1', 'b8afc642-032e-4de5-8c0a-507a7bba7e5d'],
  ['YAMMER_ENTERPRISE', '7547a3fe-08ee-4ccb-b430-5077c5041653'],
  ['UNIVERSAL_PRINT_01', '795f6fe0-cc4d-4773-b050-5dde4dc704c9'],
  ['WINBIZ', '8e229017-d77b-43d5-9305-903395523b99'],
  ['WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE', '7bf960f6-2cd9-443a-8046-5dbff9558365'],
  ['AAD_SMB', 'de377cbc-0019-4ec2-b77c-3f223947e102'],
  ['RMS_S_PREMIUM', '6c57d4b6-3b23-47a5-9bc9-69f17b4947b3'],
  ['DYN365_CDS_O365_P3', '28b0fa46-c39a-4188-89e2-58e979a6b014'],
  ['MFA_PREMIUM', '8a256a2b-b617-496d-b51b-e76466e88db0'],
  ['ADALLOM_S_DISCOVERY', '932ad362-64a8-4783-9106-97849a1a30b9'],
  ['AAD_PREMIUM', '41781fb2-bc02-4b7c-bd55-b576c07bb09d'],
  ['INTUNE_SMBIZ', '8e9ff0ff-aa7a-4b20-83c1-2f636b600ac2'],
  ['INTUNE_A', 'c1ec4a95-1f05-45b3-a911-aa3fa01094f5'],
  ['STREAM_O365_E1', '743dd19e-1ce3-4c62-a3ad-49ba8f63a2f6'],
  ['POWERAPPS_O365_P1', '92f7a6f3-b89b-4bbd-8c30-809e6da5ad1c'],
  ['FLOW_O365_P1', '0f9b09cb-62d1-4ff4-9129-43f4996f83f4'],
  ['POWER_VIRTUAL_AGENTS_O365_P3', 'ded3d325-1bdc-453e-8432-5bac26d7a014'],
]);

/** Office 365 E3 */
export const O365_E3 = sku('6fd2c87f-b296-42f0-b197-1e91e994b900', 'ENTERPRISEPACK', [
  ['MESH_AVATARS_FOR_TEAMS', 'dcf9d2f4-772e-4434-b757-77a453cfbc02'],
  ['MESH_AVATARS_ADDITIONAL_FOR_TEAMS', '3efbd4ed-8958-4824-8389-1321f8730af8'],
  ['RMS_S_ENTERPRISE', 'bea4c11e-220a-4e6d-8eb8-8ea15d019f90'],
  ['Bing_Chat_Enterprise', '0d0c0d31-fae7-41f2-b909-eaf4d7f26dba'],
  ['CDS_O365_P2', '95b76021-6a53-4741-ab8b-1d1f3d66a95a'],
  ['EXCHANGE_S_ENTERPRISE', 'efb87545-963c-4e0d-99df-69c6916d9eb0'],
  ['MESH_IMMERSIVE_FOR_TEAMS', 'f0ff6ac6-297d-49cd-be34-6dfef97f0c28'],
  ['ContentExplorer_Standard', '2b815d45-56e4-4e3a-b65c-66cb9175b560'],
  ['MIP_S_CLP1', '5136a095-5cf0-4aff-bec3-e84448b38ea5'],
  ['MYANALYTICS_P2', '33c4f319-9bdd-48d6-9c4d-410b750a4a5a'],
  ['OFFICESUBSCRIPTION', '43de0ff5-c92c-492b-9116-175376d08c38'],
  ['M365_LIGHTHOUSE_CUSTOMER_PLAN1', '6f23d6a9-adbf-481c-8538-b4c095654487'],
  ['MICROSOFTBOOKINGS', '199a5c09-e0ca-4e37-8f7c-b05d533e1ea2'],
  ['FORMS_PLAN_E3', '2789c901-c14e-48ab-a76a-be334d9d793a'],
  ['KAIZALA_O365_P3', 'aebd3021-9f8f-4bf8-bbe3-0ed2f4f047a1'],
  ['PROJECTWORKMANAGEMENT', 'b737dad2-2f6c-4c65-90e3-ca563267e8b9'],
  ['MICROSOFT_SEARCH', '94065c59-bc8e-4e8b-89e5-5138d471eaff'],
  ['Deskless', '8c7d2df8-86f0-4902-b2ed-a0458298f3b3'],
  ['STREAM_O365_E3', '9e700747-8b1d-45e5-ab8d-ef187ceec156'],
  ['TEAMS1', '57ff2da0-773e-42df-b2af-ffb7a2317929'],
  ['INTUNE_O365', '882e1d05-acd1-4ccb-8708-6ee03664b117'],
  ['Nucleus', 'db4d623d-b514-490b-b7ef-8885eee514de'],
  ['SHAREPOINTWAC', 'e95bec33-7c88-4a70-8e19-b10bd9d0c014'],
  ['PROJECT_O365_P2', '31b4e2fc-4cd6-4e7d-9c1b-41407303bd66'],
  ['SHAREPOINTENTERPRISE', '5dbe027f-2339-4123-9542-606e4d348a72'],
  ['MCOSTANDARD', '0feaeb32-d00e-4d66-bd5a-43b5b83db82c'],
  ['SWAY', 'a23b959c-7ce8-4e57-9140-b90eb88a9e97'],
  ['BPOS_S_TODO_2', 'c87f142c-d1e9-4363-8630-aaea9c4d9ae5'],
  ['VIVAENGAGE_CORE', 'a82fbf69-b4d7-49f4-83a6-915b2cf354f4'],
  ['VIVA_LEARNING_SEEDED', 'b76fb638-6ba6-402a-b9f9-83d28acb3d86'],
  ['WHITEBOARD_PLAN2', '94a54592-cd8b-425e-87c6-97868b000b91'],
  ['YAMMER_ENTERPRISE', '7547a3fe-08ee-4ccb-b430-5077c5041653'],
  ['DYN365_CDS_O365_P2', '4ff01e01-1ba7-4d71-8cf8-ce96c3bbcf14'],
  ['POWERAPPS_O365_P2', 'c68f8d98-5534-41c8-bf36-22fa496fa792'],
  ['FLOW_O365_P2', '76846ad7-7776-4c40-a281-a386362dd1b9'],
  ['POWER_VIRTUAL_AGENTS_O365_P2', '041fe683-03e4-45b6-b1af-c0cdc516daee'],
]);

/** Office 365 E5 */
export const O365_E5 = sku('c7df2760-2c81-4ef7-b578-5b5392b571df', 'ENTERPRISEPREMIUM', [
  ['DYN365_CDS_O365_P3', '28b0fa46-c39a-4188-89e2-58e979a6b014'],
  ['CDS_O365_P3', 'afa73018-811e-46e9-988f-f75d2b1b8430'],
  ['LOCKBOX_ENTERPRISE', '9f431833-0334-42de-a7dc-70aa40db46db'],
  ['MIP_S_Exchange', 'cd31b152-6326-4d1b-ae1b-997b625182e6'],
  ['EXCHANGE_S_ENTERPRISE', 'efb87545-963c-4e0d-99df-69c6916d9eb0'],
  ['GRAPH_CONNECTORS_SEARCH_INDEX', 'a6520331-d7d4-4276-95f5-15c0933bc757'],
  ['INFORMATION_BARRIERS', 'c4801e8a-cb58-4c35-aca6-f2dcc106f287'],
  ['Content_Explorer', 'd9fa6af4-e046-4c89-9226-729a0786685d'],
  ['ContentExplorer_Standard', '2b815d45-56e4-4e3a-b65c-66cb9175b560'],
  ['MIP_S_CLP2', 'efb0351d-3b08-4503-993d-383af8de41e3'],
  ['MIP_S_CLP1', '5136a095-5cf0-4aff-bec3-e84448b38ea5'],
  ['MYANALYTICS_P2', '33c4f319-9bdd-48d6-9c4d-410b750a4a5a'],
  ['MICROSOFT_COMMUNICATION_COMPLIANCE', 'a413a9ff-720c-4822-98ef-2f37c2a21f4c'],
  ['M365_ADVANCED_AUDITING', '2f442157-a11c-46b9-ae5b-6e39ff4e5849'],
  ['OFFICESUBSCRIPTION', '43de0ff5-c92c-492b-9116-175376d08c38'],
  ['MCOMEETADV', '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40'],
  ['MTP', 'bf28f719-7844-4079-9c78-c1307898e192'],
  ['MCOEV', '4828c8ec-dc2e-4779-b502-87ac9ce28ab7'],
  ['RMS_S_ENTERPRISE', 'bea4c11e-220a-4e6d-8eb8-8ea15d019f90'],
  ['MICROSOFTBOOKINGS', '199a5c09-e0ca-4e37-8f7c-b05d533e1ea2'],
  ['COMMUNICATIONS_DLP', '6dc145d6-95dd-4191-b9c3-185575ee6f6b'],
  ['CUSTOMER_KEY', '6db1f1db-2b46-403f-be40-e39395f08dbb'],
  ['DATA_INVESTIGATIONS', '46129a58-a698-46f0-aa5b-17f6586297d9'],
  ['ATP_ENTERPRISE', 'f20fedf3-f3c3-43c3-8267-2bfdd51c0939'],
  ['THREAT_INTELLIGENCE', '8e0c0a52-6a6c-4d40-8370-dd62790dcd70'],
  ['EXCEL_PREMIUM', '531ee2f8-b1cb-453b-9c21-d2180d014ca5'],
  ['FORMS_PLAN_E5', 'e212cbc7-0961-4c40-9825-01117710dcb1'],
  ['INFO_GOVERNANCE', 'e26c2fcc-ab91-4a61-b35c-03cdc8dddf66'],
  ['KAIZALA_STANDALONE', '0898bdbb-73b0-471a-81e5-20f1fe4dd66e'],
  ['EXCHANGE_ANALYTICS', '34c0d7a0-a70f-4668-9238-47f9fc208882'],
  ['PROJECTWORKMANAGEMENT', 'b737dad2-2f6c-4c65-90e3-ca563267e8b9'],
  ['RECORDS_MANAGEMENT', '65cc641f-cccd-4643-97e0-a17e3045e541'],
  ['MICROSOFT_SEARCH', '94065c59-bc8e-4e8b-89e5-5138d471eaff'],
  ['Deskless', '8c7d2df8-86f0-4902-b2ed-a0458298f3b3'],
  ['STREAM_O365_E5', '6c6042f5-6f01-4d67-b8c1-eb99d36eed3e'],
  ['TEAMS1', '57ff2da0-773e-42df-b2af-ffb7a2317929'],
  ['INTUNE_O365', '882e1d05-acd1-4ccb-8708-6ee03664b117'],
  ['EQUIVIO_ANALYTICS', '4de31727-a228-4ec3-a5bf-8e45b5ca48cc'],
  ['ADALLOM_S_O365', '8c098270-9dd4-4350-9b30-ba4703f3b36b'],
  ['PAM_ENTERPRISE', 'b1188c4c-1b36-4018-b48b-ee07604f6feb'],
  ['SHAREPOINTWAC', 'e95bec33-7c88-4a70-8e19-b10bd9d0c014'],
  ['FLOW_O365_P3', '07699545-9485-468e-95b6-2fca3738be01'],
  ['BI_AZURE_P2', '70d33638-9c74-4d01-bfd3-562de28bd4ba'],
  ['POWER_VIRTUAL_AGENTS_O365_P3', 'ded3d325-1bdc-453e-8432-5bac26d7a014'],
  ['POWERAPPS_O365_P3', '9c0dab89-a30c-4117-86e7-97bda240acd2'],
  ['PREMIUM_ENCRYPTION', '617b097b-4b93-4ede-83de-5f075bb5fb2f'],
  ['PROJECT_O365_P3', 'b21a6b06-1988-436e-a07b-51ec6d9f52ad'],
  ['COMMUNICATIONS_COMPLIANCE', '41fcdd7d-4733-4863-9cf4-c65b83ce2df4'],
  ['SHAREPOINTENTERPRISE', '5dbe027f-2339-4123-9542-606e4d348a72'],
  ['MCOSTANDARD', '0feaeb32-d00e-4d66-bd5a-43b5b83db82c'],
  ['SWAY', 'a23b959c-7ce8-4e57-9140-b90eb88a9e97'],
  ['BPOS_S_TODO_3', '3fb82609-8c27-4f7b-bd51-30634711ee67'],
  ['VIVAENGAGE_CORE', 'a82fbf69-b4d7-49f4-83a6-915b2cf354f4'],
  ['VIVA_LEARNING_SEEDED', 'b76fb638-6ba6-402a-b9f9-83d28acb3d86'],
  ['WHITEBOARD_PLAN3', '4a51bca5-1eff-43f5-878c-177680f191af'],
  ['YAMMER_ENTERPRISE', '7547a3fe-08ee-4ccb-b430-5077c5041653'],
]);

/** Office 365 E1 */
export const O365_E1 = sku('18181a46-0d4e-45cd-891e-60aabd171b4e', 'STANDARDPACK', [
  ['MESH_AVATARS_FOR_TEAMS', 'dcf9d2f4-772e-4434-b757-77a453cfbc02'],
  ['MESH_AVATARS_ADDITIONAL_FOR_TEAMS', '3efbd4ed-8958-4824-8389-1321f8730af8'],
  ['Bing_Chat_Enterprise', '0d0c0d31-fae7-41f2-b909-eaf4d7f26dba'],
  ['CDS_O365_P1', 'bed136c6-b799-4462-824d-fc045d3a9d25'],
  ['EXCHANGE_S_STANDARD', '9aaf7827-d63c-4b61-89c3-182f06f82e5c'],
  ['MESH_IMMERSIVE_FOR_TEAMS', 'f0ff6ac6-297d-49cd-be34-6dfef97f0c28'],
  ['MYANALYTICS_P2', '33c4f319-9bdd-48d6-9c4d-410b750a4a5a'],
  ['M365_LIGHTHOUSE_CUSTOMER_PLAN1', '6f23d6a9-adbf-481c-8538-b4c095654487'],
  ['MICROSOFTBOOKINGS', '199a5c09-e0ca-4e37-8f7c-b05d533e1ea2'],
  ['FORMS_PLAN_E1', '159f4cd6-e380-449f-a816-af1a9ef76344'],
  ['KAIZALA_O365_P2', '54fc630f-5a40-48ee-8965-af0503c1386e'],
  ['PROJECTWORKMANAGEMENT', 'b737dad2-2f6c-4c65-90e3-ca563267e8b9'],
  ['MICROSOFT_SEARCH', '94065c59-bc8e-4e8b-89e5-5138d471eaff'],
  ['Deskless', '8c7d2df8-86f0-4902-b2ed-a0458298f3b3'],
  ['TEAMS1', '57ff2da0-773e-42df-b2af-ffb7a2317929'],
  ['INTUNE_O365', '882e1d05-acd1-4ccb-8708-6ee03664b117'],
  ['Nucleus', 'db4d623d-b514-490b-b7ef-8885eee514de'],
  ['SHAREPOINTWAC', 'e95bec33-7c88-4a70-8e19-b10bd9d0c014'],
  ['OFFICEMOBILE_SUBSCRIPTION', 'c63d4d19-e8cb-460e-b37c-4d6c34603745'],
  ['PROJECT_O365_P1', 'a55dfd10-0864-46d9-a3cd-da5991a3e0e2'],
  ['SHAREPOINTSTANDARD', 'c7699d2e-19aa-44de-8edf-1736da088ca1'],
  ['MCOSTANDARD', '0feaeb32-d00e-4d66-bd5a-43b5b83db82c'],
  ['SWAY', 'a23b959c-7ce8-4e57-9140-b90eb88a9e97'],
  ['BPOS_S_TODO_1', '5e62787c-c316-451f-b873-1d05acd4d12c'],
  ['VIVAENGAGE_CORE', 'a82fbf69-b4d7-49f4-83a6-915b2cf354f4'],
  ['VIVA_LEARNING_SEEDED', 'b76fb638-6ba6-402a-b9f9-83d28acb3d86'],
  ['WHITEBOARD_PLAN1', 'b8afc642-032e-4de5-8c0a-507a7bba7e5d'],
  ['YAMMER_ENTERPRISE', '7547a3fe-08ee-4ccb-b430-5077c5041653'],
  ['DYN365_CDS_O365_P1', '40b010bb-0b69-4654-ac5e-ba161433f4b4'],
  ['RMS_S_BASIC', '31cf2cfc-6b0d-4adc-a336-88b724ed8122'],
  ['STREAM_O365_E1', '743dd19e-1ce3-4c62-a3ad-49ba8f63a2f6'],
  ['POWERAPPS_O365_P1', '92f7a6f3-b89b-4bbd-8c30-809e6da5ad1c'],
  ['FLOW_O365_P1', '0f9b09cb-62d1-4ff4-9129-43f4996f83f4'],
  ['POWER_VIRTUAL_AGENTS_O365_P1', '0683001c-0492-4d59-9515-d9a6426b5813'],
]);

/** A company-level SKU (not assignable to users). */
export const COMPANY_SKU: TenantSku = {
  ...sku('df9561a4-4969-4e6a-8e73-c601b68ec077', 'MCOMEETACPEA', [
    ['MCOMEETACPEA', 'bb038288-76ab-49d6-afc1-eaa6c222c65a'],
  ]),
  appliesTo: 'Company',
};

export const ALL_SKUS: TenantSku[] = [BUSINESS_STANDARD, BUSINESS_PREMIUM, O365_E3, O365_E5, O365_E1, COMPANY_SKU];

export const VERIFIED_DOMAINS = ['contoso.com', 'contoso.onmicrosoft.com'];

export function planId(target: TenantSku, name: string): string {
  const plan = target.servicePlans.find((candidate) => candidate.servicePlanName === name);
  if (!plan) throw new Error(`${target.skuPartNumber} has no plan ${name}`);
  return plan.servicePlanId;
}

export const GROUP_A = '5e1f4a1b-7f62-4c34-9bd9-2f4a0c2d1111';

export function direct(license: AssignedLicense): LicenseAssignmentState {
  return {
    skuId: license.skuId,
    assignedByGroup: null,
    disabledPlans: license.disabledPlans,
    state: 'Active',
    error: 'None',
  };
}

export function inherited(license: AssignedLicense, groupId = GROUP_A): LicenseAssignmentState {
  return {
    skuId: license.skuId,
    assignedByGroup: groupId,
    disabledPlans: license.disabledPlans,
    state: 'Active',
    error: 'None',
  };
}

/** A user holding the given licenses directly (unless states are given), enabled, in the US, on contoso.com. */
export function makeUser(
  licenses: AssignedLicense[],
  overrides: Partial<UserLicenseSnapshot> = {},
): UserLicenseSnapshot {
  return {
    id: 'a0b1c2d3-0000-4000-8000-000000000001',
    userPrincipalName: 'adele@contoso.com',
    accountEnabled: true,
    usageLocation: 'US',
    assignedLicenses: licenses,
    licenseAssignmentStates: licenses.map(direct),
    ...overrides,
  };
}

/** A validated request with every default applied, as parseMigrationRequest would return it. */
export function migrationRequest(overrides: Partial<MigrationRequest> = {}): MigrationRequest {
  return {
    moves: [],
    mode: 'swap',
    strategy: 'atomic',
    dryRun: false,
    requireApproval: false,
    approvalTimeout: 'P7D',
    acknowledgeDataLoss: false,
    includeDisabledUsers: false,
    waitForLicenses: { timeout: 'PT72H', pollInterval: 'PT1M' },
    batchSize: 20,
    maxFailureRate: 0.2,
    ...overrides,
  };
}

/** Business Standard → Business Premium, resolved against the fixtures. */
export const STANDARD_TO_PREMIUM: ResolvedMove = {
  move: 0,
  fromSkuId: BUSINESS_STANDARD.skuId,
  fromSkuPartNumber: 'O365_BUSINESS_PREMIUM',
  toSkuId: BUSINESS_PREMIUM.skuId,
  toSkuPartNumber: 'SPB',
  disabledPlanIds: [],
};

/** A request moving everyone from Business Standard to Business Premium, as planning sees it. */
export const STANDARD_TO_PREMIUM_REQUEST = migrationRequest({
  moves: [
    { from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true }, disabledPlans: [], keepDisabledPlans: true },
  ],
});

/** User `id` (on contoso.com) planned for Business Standard → Business Premium. */
export function plannedStandardToPremium(
  id: string,
  overrides: Partial<UserLicenseSnapshot> = {},
  licenses: AssignedLicense[] = [{ skuId: BUSINESS_STANDARD.skuId, disabledPlans: [] }],
): PlannedUser {
  const request = STANDARD_TO_PREMIUM_REQUEST;
  return planUser({
    user: makeUser(licenses, { id, userPrincipalName: `${id}@contoso.com`, ...overrides }),
    move: STANDARD_TO_PREMIUM,
    moveRequest: request.moves[0]!,
    request,
    skus: ALL_SKUS,
    verifiedDomains: VERIFIED_DOMAINS,
  });
}
