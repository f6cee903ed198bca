/**
 * Product names an admin recognises, for the SKUs license-shift is most often asked to move between.
 * Transcribed from Microsoft's "Product names and service plan identifiers for licensing" table
 * (String_Id → Product_Display_Name). Anything not listed falls back to its part number.
 */
const PRODUCT_NAMES: Readonly<Record<string, string>> = {
  O365_BUSINESS_ESSENTIALS: 'Microsoft 365 Business Basic',
  O365_BUSINESS_PREMIUM: 'Microsoft 365 Business Standard',
  SPB: 'Microsoft 365 Business Premium',
  O365_BUSINESS: 'Microsoft 365 Apps for Business',
  SMB_BUSINESS: 'Microsoft 365 Apps for Business',
  OFFICESUBSCRIPTION: 'Microsoft 365 Apps for Enterprise',
  STANDARDPACK: 'Office 365 E1',
  ENTERPRISEPACK: 'Office 365 E3',
  ENTERPRISEPREMIUM: 'Office 365 E5',
  ENTERPRISEPREMIUM_NOPSTNCONF: 'Office 365 E5 Without Audio Conferencing',
  DESKLESSPACK: 'Office 365 F3',
  SPE_E3: 'Microsoft 365 E3',
  SPE_E5: 'Microsoft 365 E5',
  SPE_F1: 'Microsoft 365 F3',
  M365_F1: 'Microsoft 365 F1',
  M365EDU_A3_FACULTY: 'Microsoft 365 A3 for Faculty',
  M365EDU_A5_FACULTY: 'Microsoft 365 A5 for Faculty',
  STANDARDWOFFPACK_FACULTY: 'Office 365 A1 for faculty',
  STANDARDWOFFPACK_STUDENT: 'Office 365 A1 for students',
  EXCHANGESTANDARD: 'Exchange Online (Plan 1)',
  EXCHANGEENTERPRISE: 'Exchange Online (Plan 2)',
  EXCHANGEDESKLESS: 'Exchange Online Kiosk',
  EXCHANGEARCHIVE_ADDON: 'Exchange Online Archiving for Exchange Online',
  VISIOCLIENT: 'Visio Plan 2',
  PROJECTPREMIUM: 'Project Online Premium',
  PROJECTPROFESSIONAL: 'Planner and Project Plan 3',
  POWER_BI_PRO: 'Power BI Pro',
  EMS: 'Enterprise Mobility + Security E3',
  EMSPREMIUM: 'Enterprise Mobility + Security E5',
  AAD_PREMIUM: 'Microsoft Entra ID P1',
  AAD_PREMIUM_P2: 'Microsoft Entra ID P2',
  INTUNE_A: 'Intune',
  Microsoft_365_Copilot: 'Microsoft Copilot for Microsoft 365',
  TEAMS_ESSENTIALS_AAD: 'Microsoft Teams Essentials (AAD Identity)',
  Microsoft_Teams_Exploratory_Dept: 'Microsoft Teams Exploratory Dept',
};

const BY_UPPER_PART_NUMBER = new Map(Object.entries(PRODUCT_NAMES).map(([part, name]) => [part.toUpperCase(), name]));

/** "Microsoft 365 Business Premium" for SPB; the part number itself when the product is not in the list. */
export function friendlyProductName(skuPartNumber: string): string {
  return BY_UPPER_PART_NUMBER.get(skuPartNumber.toUpperCase()) ?? skuPartNumber;
}
