import { GraphError } from './errors';
import { findUnlicensedGaps, findUnlicensedPeriods, findWriteBudgetViolations } from './events';
import { NO_LATENCY, REALISTIC_LATENCY } from './latency';
import { ENDPOINT_PERMISSIONS, defaultGrantedRoles } from './permissions';
import { PLAN_RULES, type PlanRule } from './plan-rules';
import { isProfile } from './profiles';
import type { GraphSimulatorServer } from './server';
import {
  CAPABILITY_STATUSES,
  type CapabilityStatus,
  type FaultRule,
  type LatencyModel,
  type NoiseConfig,
  type Scenario,
  type ScenarioUser,
  type SimulatorSettings,
  type ThrottleConfig,
} from './types';

export interface ControlResponse {
  status: number;
  body?: unknown;
}

/**
 * The control API under `/_simulator`: everything a test or a demo does to the tenant from outside Graph.
 * It is never throttled, delayed or faulted, and it is not recorded as Graph traffic.
 */
export function handleControl(
  sim: GraphSimulatorServer,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): ControlResponse {
  try {
    return route(sim, method, path.split('/').filter(Boolean).map(decodeURIComponent), query, body);
  } catch (error) {
    if (error instanceof GraphError) return { status: error.status, body: { error: error.message } };
    return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
  }
}

function route(
  sim: GraphSimulatorServer,
  method: string,
  segments: string[],
  query: URLSearchParams,
  body: unknown,
): ControlResponse {
  const [resource, id, sub] = segments;
  const key = `${method} ${resource ?? ''}${id !== undefined ? '/:id' : ''}${sub !== undefined ? `/${sub}` : ''}`;
  switch (key) {
    case 'GET ':
    case 'GET state':
      return { status: 200, body: state(sim, query.get('users') !== 'false') };
    case 'POST scenario': {
      const source =
        isRecord(body) && 'skus' in body ? (body as unknown as Scenario) : isRecord(body) ? body.scenario : undefined;
      if (source === undefined || (typeof source !== 'string' && !isRecord(source))) {
        throw new Error(
          'Send a scenario object, or { "scenario": "demo" | "generated:N" | "/path/to/file.json" | {...} }.',
        );
      }
      sim.loadScenario(source as Scenario | string);
      return { status: 200, body: summary(sim) };
    }
    case 'POST reset':
      sim.reset();
      return { status: 200, body: summary(sim) };
    case 'GET skus':
      return { status: 200, body: skus(sim) };
    case 'PATCH skus/:id':
    case 'POST skus/:id': {
      const change = isRecord(body) ? body : {};
      const seats =
        typeof change.prepaidUnits === 'number'
          ? change.prepaidUnits
          : isRecord(change.prepaidUnits)
            ? change.prepaidUnits.enabled
            : change.enabled;
      if (change.capabilityStatus !== undefined) {
        if (!CAPABILITY_STATUSES.includes(change.capabilityStatus as CapabilityStatus)) {
          throw new Error(`capabilityStatus must be one of ${CAPABILITY_STATUSES.join(', ')}`);
        }
        sim.setSkuStatus(id ?? '', change.capabilityStatus as CapabilityStatus);
      }
      if (seats !== undefined) {
        if (typeof seats !== 'number' || !Number.isInteger(seats) || seats < 0)
          throw new Error('Seats must be a whole number ≥ 0.');
        sim.setSkuSeats(id ?? '', seats);
      }
      return { status: 200, body: skus(sim).find((s) => s.skuId === sim.tenant.findSku(id ?? '')?.skuId) };
    }
    case 'POST users': {
      if (!isRecord(body) || typeof body.userPrincipalName !== 'string')
        throw new Error('A user needs a userPrincipalName.');
      const user = sim.tenant.addUser(body as unknown as ScenarioUser & { groups?: string[] });
      return {
        status: 201,
        body: { id: user.id, userPrincipalName: user.userPrincipalName, assignedLicenses: user.assignedLicenses },
      };
    }
    case 'DELETE users/:id':
      sim.tenant.removeUser(id ?? '');
      return { status: 204 };
    case 'POST users/:id/assignLicense': {
      // An admin changing a user's licenses by hand (admin center, PowerShell): the Graph body, the same checks, no
      // throttling; the event log records it with cause "control".
      const user = sim.tenant.assignLicense(id ?? '', body, { cause: 'control' });
      return {
        status: 200,
        body: { id: user.id, userPrincipalName: user.userPrincipalName, assignedLicenses: user.assignedLicenses },
      };
    }
    case 'GET faults':
      return { status: 200, body: sim.activeFaults };
    case 'PUT faults':
    case 'POST faults': {
      const faults = Array.isArray(body)
        ? body
        : isRecord(body) && Array.isArray(body.faults)
          ? body.faults
          : undefined;
      if (!faults) throw new Error('Send an array of fault rules (or { "faults": [...] }).');
      for (const f of faults as FaultRule[]) {
        if (!['error', 'drop', 'timeout', 'slow'].includes(f.kind))
          throw new Error(`Unknown fault kind ${String(f.kind)}`);
      }
      sim.setFaults(faults as FaultRule[]);
      return { status: 200, body: sim.activeFaults };
    }
    case 'DELETE faults':
      sim.setFaults([]);
      return { status: 204 };
    case 'GET latency':
      return { status: 200, body: sim.latencyModel };
    case 'PUT latency': {
      const model =
        body === 'none'
          ? NO_LATENCY
          : body === 'realistic'
            ? REALISTIC_LATENCY
            : isLatencyModel(body)
              ? body
              : undefined;
      if (!model) throw new Error('Send "realistic", "none" or { read, list, write } with { medianMs, p95Ms } each.');
      sim.latencyModel = model;
      return { status: 200, body: model };
    }
    case 'GET settings':
      return { status: 200, body: sim.settings };
    case 'PATCH settings':
    case 'PUT settings': {
      if (!isRecord(body)) throw new Error('Send an object of settings.');
      for (const name of Object.keys(body)) if (!(name in sim.settings)) throw new Error(`Unknown setting ${name}`);
      Object.assign(sim.settings, body as Partial<SimulatorSettings>);
      return { status: 200, body: sim.settings };
    }
    case 'GET throttling':
      return { status: 200, body: sim.throttler.settings };
    case 'PATCH throttling':
    case 'PUT throttling': {
      if (!isRecord(body)) throw new Error('Send an object of throttling settings.');
      sim.throttler.configure({ ...sim.throttler.settings, ...(body as Partial<ThrottleConfig>) });
      return { status: 200, body: sim.throttler.settings };
    }
    case 'GET events': {
      const since = Number(query.get('since') ?? '0');
      const kind = query.get('kind');
      let events = sim.log.list(since);
      if (kind) events = events.filter((e) => e.kind === kind);
      const limit = query.get('limit');
      if (limit !== null) events = events.slice(0, Number(limit));
      return { status: 200, body: events };
    }
    case 'GET profile':
      return { status: 200, body: { profile: sim.profile } };
    case 'PUT profile': {
      const profile = isRecord(body) ? body.profile : body;
      if (!isProfile(profile)) throw new Error('Send { "profile": "realistic" | "deterministic" }.');
      sim.applyProfile(profile);
      return { status: 200, body: { profile: sim.profile } };
    }
    case 'GET permissions':
      return { status: 200, body: permissions(sim) };
    case 'PUT permissions': {
      // Same shape as infra/graph-permissions.json: `appRoles` is read, other fields are ignored.
      if (!isRecord(body))
        throw new Error('Send { "appRoles": ["Role.Name", ...] } (or "default"), optionally "enforce".');
      if (body.appRoles === 'default') sim.grantedRoles = new Set(defaultGrantedRoles());
      else if (Array.isArray(body.appRoles) && body.appRoles.every((r) => typeof r === 'string')) {
        sim.grantedRoles = new Set(body.appRoles);
      } else if (body.appRoles !== undefined) throw new Error('appRoles must be an array of role names or "default".');
      if (body.enforce !== undefined) {
        if (typeof body.enforce !== 'boolean') throw new Error('enforce must be true or false.');
        sim.settings.enforcePermissions = body.enforce;
      }
      return { status: 200, body: permissions(sim) };
    }
    case 'GET noise':
      return { status: 200, body: sim.noise };
    case 'PATCH noise':
    case 'PUT noise': {
      if (!isRecord(body)) throw new Error('Send an object of noise settings.');
      for (const name of Object.keys(body)) if (!(name in sim.noise)) throw new Error(`Unknown noise setting ${name}`);
      sim.noise = { ...sim.noise, ...(body as Partial<NoiseConfig>) };
      return { status: 200, body: sim.noise };
    }
    case 'GET plan-rules':
      return { status: 200, body: sim.planRules };
    case 'PUT plan-rules': {
      const list = Array.isArray(body) ? body : isRecord(body) ? body.rules : undefined;
      if (!Array.isArray(list)) throw new Error('Send an array of rule ids from PLAN_RULES or rule objects.');
      sim.setPlanRules(list.map(planRule));
      return { status: 200, body: sim.planRules };
    }
    case 'GET counters': {
      // Writes inside the current throttle windows (from the request log), next to the running totals.
      const now = sim.now();
      const config = sim.throttler.settings;
      return {
        status: 200,
        body: {
          ...sim.log.counters,
          events: sim.log.size,
          writesInWindow: {
            perApp: { windowMs: config.writeWindowMs, ...sim.log.recentWrites(now - config.writeWindowMs) },
            tenant: {
              windowMs: config.tenantWriteWindowMs,
              total: sim.log.recentWrites(now - config.tenantWriteWindowMs).total,
            },
          },
        },
      };
    }
    case 'POST groups/:id/members':
    case 'DELETE groups/:id/members': {
      const userRef = method === 'POST' ? (isRecord(body) ? body.user : undefined) : segments[3];
      if (typeof userRef !== 'string') throw new Error('Name the user: { "user": "<id or userPrincipalName>" }.');
      const user = sim.tenant.setGroupMembership(id ?? '', userRef, method === 'POST');
      return { status: 200, body: { id: user.id, licenseAssignmentStates: user.licenseStates } };
    }
    case 'POST groups/:id':
      // POST /_simulator/groups/process: apply queued group license changes now.
      if (id !== 'process') break;
      return { status: 200, body: { processed: sim.processPendingGroups() } };
    case 'GET violations': {
      const events = sim.log.list();
      const number = (name: string): number | undefined =>
        query.get(name) !== null ? Number(query.get(name)) : undefined;
      const perApp = number('perApp') ?? 3000 * sim.timeScale;
      const perTenant = number('perTenant') ?? 18000 * sim.timeScale;
      return {
        status: 200,
        body: {
          unlicensedGaps: findUnlicensedGaps(events),
          unlicensedPeriods: findUnlicensedPeriods(events),
          writeBudget: findWriteBudgetViolations(events, {
            perApp,
            perTenant,
            ...(number('windowMs') !== undefined ? { windowMs: number('windowMs') } : {}),
          }),
        },
      };
    }
    default:
      break;
  }
  return { status: 404, body: { error: `No control operation ${method} /_simulator/${segments.join('/')}` } };
}

function permissions(sim: GraphSimulatorServer): Record<string, unknown> {
  return {
    enforce: sim.settings.enforcePermissions,
    appRoles: [...sim.grantedRoles].sort(),
    endpoints: ENDPOINT_PERMISSIONS,
  };
}

/** A rule id from the built-in table, or a rule object of the same shape. */
function planRule(entry: unknown): PlanRule {
  if (typeof entry === 'string') {
    const known = PLAN_RULES.find((r) => r.id === entry);
    if (!known) throw new Error(`Unknown plan rule ${entry}; known: ${PLAN_RULES.map((r) => r.id).join(', ')}`);
    return known;
  }
  const rule = entry as Partial<PlanRule>;
  const isPlanList = (v: unknown): boolean =>
    Array.isArray(v) &&
    v.every((p) => Array.isArray(p) && p.length === 2 && p.every((x: unknown) => typeof x === 'string'));
  if (
    !isRecord(entry) ||
    typeof rule.id !== 'string' ||
    (rule.kind !== 'mutuallyExclusive' && rule.kind !== 'dependency') ||
    !isPlanList(rule.plans) ||
    (rule.kind === 'dependency' && !isPlanList(rule.requires))
  ) {
    throw new Error('A plan rule needs id, kind, plans [[id, name], ...] (and requires for a dependency).');
  }
  const given = entry as unknown as PlanRule;
  return { ...given, sources: Array.isArray(given.sources) ? given.sources : [] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLatencyModel(value: unknown): value is LatencyModel {
  if (!isRecord(value)) return false;
  return ['read', 'list', 'write'].every((k) => {
    const d = value[k];
    return isRecord(d) && typeof d.medianMs === 'number' && typeof d.p95Ms === 'number';
  });
}

function skus(sim: GraphSimulatorServer): {
  skuId: string;
  skuPartNumber: string;
  capabilityStatus: string;
  prepaidUnits: unknown;
  consumedUnits: number;
  freeSeats: number;
}[] {
  return [...sim.tenant.skus.values()].map((s) => ({
    skuId: s.skuId,
    skuPartNumber: s.skuPartNumber,
    displayName: s.displayName,
    appliesTo: s.appliesTo,
    capabilityStatus: s.capabilityStatus,
    prepaidUnits: s.prepaidUnits,
    consumedUnits: sim.tenant.consumedUnits(s),
    freeSeats: sim.tenant.freeSeats(s),
  }));
}

function summary(sim: GraphSimulatorServer): Record<string, unknown> {
  return {
    tenantId: sim.tenant.tenantId,
    organization: sim.tenant.organization.displayName,
    userCount: sim.tenant.users.size,
    groupCount: sim.tenant.groups.size,
    skus: skus(sim),
  };
}

function state(sim: GraphSimulatorServer, includeUsers: boolean): Record<string, unknown> {
  const t = sim.tenant;
  return {
    ...summary(sim),
    profile: sim.profile,
    tenantSize: t.size,
    settings: sim.settings,
    noise: sim.noise,
    planRules: sim.planRules.map((r) => r.id),
    appRoles: [...sim.grantedRoles].sort(),
    throttling: sim.throttler.settings,
    timeScale: sim.timeScale,
    latency: sim.latencyModel,
    faults: sim.activeFaults,
    counters: sim.log.counters,
    domains: t.domains,
    subscriptions: t.subscriptions,
    groups: [...t.groups.values()].map((g) => ({
      id: g.id,
      displayName: g.displayName,
      members: g.members.map((m) => m.id),
      assignedLicenses: g.assignedLicenses,
      licenseProcessingState: g.licenseProcessingState,
      groupTypes: g.groupTypes,
      membershipRule: g.membershipRule,
      onPremisesSyncEnabled: g.onPremisesSyncEnabled,
      isAssignableToRole: g.isAssignableToRole,
    })),
    ...(includeUsers
      ? {
          users: [...t.users.values()].map((u) => ({
            id: u.id,
            userPrincipalName: u.userPrincipalName,
            displayName: u.displayName,
            accountEnabled: u.accountEnabled,
            usageLocation: u.usageLocation,
            userType: u.userType,
            department: u.department,
            assignedLicenses: u.assignedLicenses,
            licenseAssignmentStates: u.licenseStates,
          })),
        }
      : {}),
  };
}
