/**
 * The API's answers as the console reads them (GET /api/openapi.json describes them in full). Fields the API may add
 * later (seat reservations, retry and rollback links, group moves) are optional, and the console shows them when an
 * answer carries them.
 */

export interface Vocabulary {
  statuses: string[];
  finished: string[];
  auth: 'functionKey' | 'appService';
  adminCenter: string;
}

export interface ServicePlan {
  servicePlanId: string;
  servicePlanName: string;
  friendlyName: string;
  holdsData: boolean;
  provisioningStatus?: string;
}

export interface InventorySku {
  skuId: string;
  skuPartNumber: string;
  productName: string;
  appliesTo: string;
  capabilityStatus: string;
  seats: {
    enabled: number;
    warning: number;
    suspended: number;
    lockedOut: number;
    consumed: number;
    free: number;
    /** Present once the app has a seat ledger. */
    reserved?: number;
    available?: number;
  };
  demand: { seats: number; migrations: { id: string; status: string; seats: number }[] };
  short?: number;
  servicePlans: ServicePlan[];
}

export interface Inventory {
  skus: InventorySku[];
  readAt: string;
  maxAgeSeconds: number;
}

export interface SkuHolder {
  id: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  usageLocation: string | null;
  assignment: 'direct' | 'group' | 'directAndGroup';
  groups: string[];
  disabledPlans: string[];
  error?: string;
}

export interface SkuUsersPage {
  sku: { skuId: string; skuPartNumber: string; productName: string };
  users: SkuHolder[];
  continuationToken?: string;
}

export interface Counts {
  total: number;
  toChange: number;
  done: number;
  moved: number;
  skipped: number;
  failed: number;
  blocked: number;
}

export interface ProductRef {
  ref: string;
  skuPartNumber?: string;
  productName: string;
}

export interface RunSummary {
  moves: {
    from?: ProductRef;
    to: ProductRef;
    label: string;
    users: { kind: string; count?: number; groupId?: string };
  }[];
  origin: 'http' | 'schedule';
  scheduleName?: string;
  startedBy?: string;
  rollbackOf?: string;
  retryOf?: string;
  dryRun: boolean;
  requireApproval: boolean;
  mode: string;
  strategy: string;
}

export interface MigrationLinks {
  self: string;
  report: string;
  reportCsv: string;
  approve: string;
  reject: string;
  recheck: string;
  cancel: string;
  /** Not in the API yet: shown when the API offers them. */
  retry?: string;
  rollback?: string;
}

export interface LostPlan {
  servicePlanId: string;
  servicePlanName: string;
  friendlyName: string;
  holdsData: boolean;
}

export interface Migration {
  id: string;
  status: string;
  stage: string;
  counts: Counts;
  progress: number;
  etaSeconds?: number;
  waitingFor?: { reason: string; reasons: string[]; since: string; nextCheckAt?: string; deadline?: string };
  message?: string;
  remaining?: number;
  createdAt: string;
  updatedAt: string;
  links: MigrationLinks;
  run?: RunSummary;
  /** The decision, and (where the API has approval rules) who may decide. */
  approval?: {
    decision?: { approved: boolean; by?: string; reason?: string; at: string };
    approvers?: { deployment: string[]; run: string[] };
    requireDifferentApprover?: boolean;
  };
  /** What may be done now, where the API says so; otherwise the console decides from the status. */
  actions?: string[];
  /** Runs related to this one, where the API links them (rollbacks and retries). */
  rollbackOf?: string;
  retryOf?: string;
  rolledBackBy?: string[];
  retriedBy?: string[];
  plan?: {
    plannedAt: string;
    total: number;
    toChange: number;
    skipped: number;
    blocked: number;
    remaining: number;
    needsDataLossAcknowledgement: boolean;
    seats: { skuId: string; productName: string; needed: number; freeWhenPlanned: number }[];
    downgrades: { move: number; from: ProductRef; to: ProductRef; lostPlans: LostPlan[] }[];
  };
  stages?: { stage: string; status: string; at: string }[];
}

export interface ReportRow {
  userPrincipalName: string;
  userId: string;
  move: number;
  moveLabel: string;
  action: string;
  outcome: 'moved' | 'skipped' | 'blocked' | 'failed';
  reason: string;
  errorClass?: string;
  graphErrorCode?: string;
  requestId?: string;
}

export interface ReportPage {
  rows: ReportRow[];
  rowsTotal?: number;
  rowsMatched?: number;
}

export interface PreviewUser {
  userId: string;
  userPrincipalName: string;
  move: number;
  decision: 'change' | 'skip' | 'blocked';
  code?: string;
  reason: string;
}

export interface Preview {
  mode: 'preview';
  total: number;
  toChange: number;
  skipped: number;
  blocked: number;
  remaining: number;
  needsDataLossAcknowledgement: boolean;
  ready: boolean;
  reasons: string[];
  notes: string[];
  seats: {
    skuId: string;
    productName: string;
    capabilityStatus: string;
    needed: number;
    free: number;
    short: number;
  }[];
  moves: {
    move: number;
    label: string;
    users: { toChange: number; skipped: number; blocked: number };
    lostPlans: LostPlan[];
  }[];
  blockedReasons: { code: string; count: number }[];
  users: PreviewUser[];
  usersTruncated?: boolean;
}

export interface DryRunStarted {
  mode: 'dryRun';
  id: string;
}

export interface Schedule {
  name: string;
  status: 'active' | 'paused' | 'finished';
  definition: {
    name: string;
    request: MigrationRequestBody;
    cron?: string;
    startAt?: string;
    timeZone: string;
    window?: { days: string[]; start: string; end: string };
    wave?: { maxUsers?: number; maxOccurrences?: number };
    paused: boolean;
  };
  nextOccurrence?: string;
  nextOccurrences?: string[];
  window?: { open: boolean; closesAt?: string; opensAt?: string };
  occurrencesStarted: number;
  lastMigrationId?: string;
  finished?: { at: string; reason: string };
}

export type UsersSelector = { all: true } | { upns: string[] } | { ids: string[] } | { groupId: string };

export interface MoveBody {
  from?: string;
  to: string;
  users: UsersSelector;
  disabledPlans?: string[];
  keepDisabledPlans?: boolean;
}

export interface MigrationRequestBody {
  id?: string;
  moves: MoveBody[];
  mode?: 'swap' | 'replace';
  strategy?: 'atomic' | 'overlap';
  dryRun?: boolean;
  requireApproval?: boolean;
  acknowledgeDataLoss?: boolean;
  usageLocation?: string;
  includeDisabledUsers?: boolean;
  [field: string]: unknown;
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** GET /api/tenants: the registered tenants, the home tenant first. */
export interface Tenant {
  tenantId: string;
  displayName: string;
  defaultDomain?: string;
  home: boolean;
  consent: { status: 'granted' | 'notConsented' | 'unknown'; checkedAt?: string; detail?: string };
  consentUrl?: string;
}

/** GET /api/tenants/overview: one tenant at a glance. */
export interface TenantOverview {
  tenantId: string;
  displayName: string;
  home: boolean;
  consent: 'granted' | 'notConsented' | 'unknown';
  runs: { total: number; byStatus: Record<string, number> };
  waiting: { forLicenses: number; forApproval: number; runs: { id: string; status: string }[] };
  seats?: { skuId: string; skuPartNumber: string; productName: string; free: number; reserved?: number }[];
  seatsError?: string;
}
