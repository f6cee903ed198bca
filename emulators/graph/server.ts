import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GraphApi, type ApiResponse, type LatencyClass } from './api';
import { handleControl } from './control';
import { GraphError, badRequest, errorBody } from './errors';
import { EventLog } from './events';
import { NO_LATENCY, REALISTIC_LATENCY, latencyFor } from './latency';
import { drawNoise, drawReset, serviceUnavailable } from './noise';
import { defaultGrantedRoles, endpointPermission, insufficientPrivileges, isGranted } from './permissions';
import { PLAN_RULES, toLicenseRules, type PlanRule } from './plan-rules';
import { PROFILES } from './profiles';
import { SeededRandom, shuffleInPlace } from './random';
import { resolveScenario } from './scenario';
import { TenantState, type LicenseStateEntry, type SimGroup, type SimUser } from './tenant';
import { DOCUMENTED_THROTTLE_CONFIG, Throttler, formatRetryAfter, requestCost } from './throttle';
import type {
  CapabilityStatus,
  FaultRule,
  LatencyModel,
  LicenseStateRecord,
  NoiseConfig,
  NoiseKind,
  Scenario,
  SimulatorEvent,
  SimulatorProfile,
  SimulatorSettings,
  ThrottleConfig,
} from './types';

/** A built-in name (`generated:N`) or a path to a JSON scenario file; `string & {}` keeps 'demo' visible to editors. */

export type ScenarioPath = string & {};

export interface GraphSimulatorOptions {
  /**
   * `realistic` (default, or the scenario's `profile`) or `deterministic`. The options below override single parts
   * of the profile.
   */
  profile?: SimulatorProfile;
  /** A scenario object, a built-in name (`demo`, `generated:N`) or a path to a JSON scenario file. */
  scenario?: Scenario | 'demo' | ScenarioPath;
  /** 0 = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** k: limits × k, latencies ÷ k, Retry-After ÷ k (default 1). */
  timeScale?: number;
  /** Default 'realistic'. */
  latency?: 'realistic' | 'none' | LatencyModel;
  /** Default on with the documented limits. */
  throttling?: boolean | Partial<ThrottleConfig>;
  /** Deterministic randomness (latency, faults, batch order). */
  seed?: number;
  /** Injected clock (ms) for token buckets, lag and timestamps. */
  now?: () => number;
  /** Behaviours the reference marks [UNCONFIRMED], and other switches. */
  settings?: Partial<SimulatorSettings>;
  /** Background 429/503/resets: `false` for none, `true` for the realistic rates, or single fields. */
  noise?: boolean | Partial<NoiseConfig>;
  /** Service-plan rules on top of the scenario's own: `true` = `PLAN_RULES`, `false` = none, or a list. */
  planRules?: boolean | readonly PlanRule[];
  /** Application roles granted to callers (default: `appRoles` of infra/graph-permissions.json). */
  grantedRoles?: readonly string[];
}

export interface GraphSimulator {
  /** http://127.0.0.1:PORT/v1.0 */
  readonly baseUrl: string;
  /** http://127.0.0.1:PORT/_simulator */
  readonly controlUrl: string;
  /** Direct in-process access for tests (read and mutate). */
  readonly tenant: TenantState;
  /** The event log (license changes and requests). */
  events(): SimulatorEvent[];
  setFaults(faults: FaultRule[]): void;
  /** "The purchase lands": sets the SKU's enabled seats. */
  setSkuSeats(skuIdOrPartNumber: string, prepaidEnabled: number): void;
  setSkuStatus(skuIdOrPartNumber: string, status: CapabilityStatus): void;
  loadScenario(s: Scenario | 'demo' | ScenarioPath): void;
  /** Reloads the current scenario and clears events, counters, throttle buckets, cursors and faults. */
  reset(): void;
  stop(): Promise<void>;
}

/** Base settings; the profile's settings (see profiles.ts) and then `options.settings` apply on top. */
export const DEFAULT_SETTINGS: SimulatorSettings = {
  freeSeatFormula: 'enabled',
  atomicAssignLicense: true,
  replicationLagMs: 0,
  ...PROFILES.deterministic.settings,
  shuffleBatchResponses: true,
  batchThrottledEnvelopeStatus: 200,
  groupProcessingDelayMs: 2000,
  requireAuth: false,
  recordRequests: true,
};

/** Members a processing run handles per step (realistic profile). */
const GROUP_PROCESSING_SLICE = 10;

/** [DOC] group resource, isAssignableToRole: changing the members of such a group needs this role too. */
const ROLE_ASSIGNABLE_MEMBERSHIP_ROLE = 'RoleManagement.ReadWrite.Directory';

/** `licenseAssignmentStates` as events keep them (the tenant never mutates an entry, so copying is cheap insurance). */
function stateRecords(states: readonly LicenseStateEntry[]): LicenseStateRecord[] {
  return states.map((s) => ({
    skuId: s.skuId,
    assignedByGroup: s.assignedByGroup,
    disabledPlans: s.disabledPlans,
    state: s.state,
    error: s.error,
  }));
}

/** Used when a request carries neither a JWT with `appid`/`azp` nor `x-simulator-app-id`. */
export const DEFAULT_APP_ID = '0e1c5f3a-8b2d-4c7e-9f60-5a4d3b2c1e00';

const JSON_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

interface ItemResult {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  text?: string;
  /** Latency to add before answering (already scaled). */
  delayMs: number;
}

interface CallContext {
  appId: string;
  requestId: string;
  clientRequestId: string;
  batchRequestId?: string;
}

interface ArmedFault {
  rule: FaultRule;
  remaining: number;
}

/** The simulator: a plain `http` server in front of a TenantState. */
export class GraphSimulatorServer implements GraphSimulator {
  readonly tenant: TenantState;
  readonly log = new EventLog();
  readonly settings: SimulatorSettings;
  readonly timeScale: number;
  readonly now: () => number;
  latencyModel: LatencyModel;
  readonly throttler: Throttler;
  profile: SimulatorProfile;
  noise: NoiseConfig;
  /** Roles callers hold unless their token carries a `roles` claim. */
  grantedRoles: Set<string>;
  private planRuleList: readonly PlanRule[] = [];
  private faults: ArmedFault[] = [];
  private random: SeededRandom;
  /** Separate streams, so turning noise or lag on does not shift latency, fault or shuffle samples. */
  private noiseRandom: SeededRandom;
  private lagRandom: SeededRandom;
  private readonly seed: number;
  private readonly api: GraphApi;
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pendingGroups = new Set<SimGroup>();
  private readonly pendingMembers = new Set<SimUser>();
  /** Groups being processed member by member: a newer license change (a higher generation) takes over. */
  private readonly groupGeneration = new Map<SimGroup, number>();
  private readonly processing = new Map<SimGroup, { generation: number; members: SimUser[]; next: number }>();
  private readonly sockets = new Set<Socket>();
  /** The scenario last loaded successfully: what reset() restores (not re-read from disk). */
  private scenario: Scenario;
  private address = '';

  constructor(options: GraphSimulatorOptions = {}) {
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new Error('timeScale must be positive');
    this.now = options.now ?? (() => Date.now());
    this.seed = options.seed ?? 42;
    this.random = new SeededRandom(this.seed);
    this.noiseRandom = new SeededRandom(this.seed ^ NOISE_STREAM);
    this.lagRandom = new SeededRandom(this.seed ^ LAG_STREAM);
    this.scenario = resolveScenario(options.scenario ?? 'demo');
    this.profile = options.profile ?? this.scenario.profile ?? 'realistic';
    const profile = PROFILES[this.profile];
    this.settings = { ...DEFAULT_SETTINGS, ...profile.settings, ...options.settings };
    this.noise =
      options.noise === undefined
        ? { ...profile.noise }
        : typeof options.noise === 'boolean'
          ? { ...(options.noise ? PROFILES.realistic.noise : PROFILES.deterministic.noise) }
          : { ...profile.noise, ...options.noise };
    this.grantedRoles = new Set(options.grantedRoles ?? this.readDefaultRoles());
    this.latencyModel =
      options.latency === 'none'
        ? NO_LATENCY
        : options.latency === 'realistic' || options.latency === undefined
          ? REALISTIC_LATENCY
          : options.latency;
    const throttling = options.throttling ?? true;
    this.throttler = new Throttler(
      typeof throttling === 'boolean'
        ? { ...DOCUMENTED_THROTTLE_CONFIG, enabled: throttling }
        : { ...DOCUMENTED_THROTTLE_CONFIG, ...throttling },
      this.timeScale,
    );
    this.tenant = new TenantState({
      now: this.now,
      freeSeatFormula: () => this.settings.freeSeatFormula,
      atomicAssignLicense: () => this.settings.atomicAssignLicense,
      lagActive: () =>
        this.settings.replicationLagMs > 0 || this.settings.readLagMaxMs > 0 || this.settings.listLagMaxMs > 0,
      drawLag: () => ({
        readMs: (this.lagRandom.next() * this.settings.readLagMaxMs) / this.timeScale,
        listMs: (this.settings.replicationLagMs + this.lagRandom.next() * this.settings.listLagMaxMs) / this.timeScale,
      }),
      onLicenseChange: (user, before, after, context) =>
        this.log.appendLicenseChange({
          at: this.now(),
          userId: user.id,
          userPrincipalName: user.userPrincipalName,
          before,
          after,
          cause: context.cause,
          ...(context.requestId ? { requestId: context.requestId } : {}),
          ...(context.appId ? { appId: context.appId } : {}),
          states: stateRecords(user.licenseStates),
        }),
      onLicenseStateChange: (user, before, after, context) =>
        this.log.append({
          kind: 'licenseState',
          at: this.now(),
          userId: user.id,
          userPrincipalName: user.userPrincipalName,
          before: stateRecords(before),
          after: stateRecords(after),
          cause: context.cause,
          ...(context.requestId ? { requestId: context.requestId } : {}),
        }),
      onMembershipChange: (group, user, change, context) =>
        this.log.append({
          kind: 'membership',
          at: this.now(),
          groupId: group.id,
          userId: user.id,
          change,
          cause: context.cause,
          ...(context.requestId ? { requestId: context.requestId } : {}),
        }),
      onGroupLicenseChange: (group, before, after, requestId) =>
        this.log.append({
          kind: 'groupLicense',
          at: this.now(),
          groupId: group.id,
          before,
          after,
          ...(requestId ? { requestId } : {}),
        }),
      onGroupProcessing: (group, processed, members) =>
        this.log.append({
          kind: 'groupProcessing',
          at: this.now(),
          groupId: group.id,
          state: group.licenseProcessingState,
          ...(processed !== undefined ? { processed } : {}),
          ...(members !== undefined ? { members } : {}),
        }),
    });
    this.api = new GraphApi(this.tenant, {
      baseUrl: () => this.baseUrl,
      scheduleGroupProcessing: (group) => this.scheduleGroup(group),
      scheduleMemberProcessing: (user) => this.scheduleMember(user),
      mayChangeRoleAssignableGroups: (headers) =>
        !this.settings.enforcePermissions ||
        (rolesOf(headers) ?? this.grantedRoles).has(ROLE_ASSIGNABLE_MEMBERSHIP_ROLE),
      countWithoutConsistencyLevel: () => this.settings.countWithoutConsistencyLevel,
    });
    this.setPlanRules(
      options.planRules === undefined
        ? profile.planRules
        : options.planRules === true
          ? PLAN_RULES
          : options.planRules === false
            ? []
            : options.planRules,
    );
    this.tenant.load(this.scenario);
    this.server = createServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => {
        // A simulator bug still answers in Graph's shape, so clients exercise their 5xx path rather than crash.
        if (!res.headersSent) {
          const requestId = randomUUID();
          const body = errorBody(new GraphError(500, 'generalException', `Simulator error: ${String(error)}`), {
            requestId,
            clientRequestId: requestId,
            nowMs: this.now(),
          });
          send(
            res,
            500,
            { 'content-type': 'application/json', 'request-id': requestId, 'client-request-id': requestId },
            JSON.stringify(body),
          );
        }
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.address = `http://${shownHost}:${address.port}`;
  }

  get baseUrl(): string {
    return `${this.address}/v1.0`;
  }

  get controlUrl(): string {
    return `${this.address}/_simulator`;
  }

  events(): SimulatorEvent[] {
    return this.log.list();
  }

  setFaults(faults: FaultRule[]): void {
    this.faults = faults.map((rule) => ({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY }));
  }

  get activeFaults(): FaultRule[] {
    return this.faults
      .filter((f) => f.remaining > 0)
      .map((f) => ({ ...f.rule, ...(Number.isFinite(f.remaining) ? { times: f.remaining } : {}) }));
  }

  setSkuSeats(skuIdOrPartNumber: string, prepaidEnabled: number): void {
    this.tenant.setSkuSeats(skuIdOrPartNumber, prepaidEnabled);
  }

  setSkuStatus(skuIdOrPartNumber: string, status: CapabilityStatus): void {
    this.tenant.setSkuStatus(skuIdOrPartNumber, status);
  }

  /** Switches profile at run time: its settings, noise and plan rules replace the current ones. */
  applyProfile(profile: SimulatorProfile): void {
    const defaults = PROFILES[profile];
    this.profile = profile;
    Object.assign(this.settings, defaults.settings);
    this.noise = { ...defaults.noise };
    this.setPlanRules(defaults.planRules);
  }

  get planRules(): readonly PlanRule[] {
    return this.planRuleList;
  }

  /** Replaces the service-plan rules that hold whatever scenario is loaded (scenario `rules` still apply). */
  setPlanRules(rules: readonly PlanRule[]): void {
    this.planRuleList = rules;
    this.tenant.setStandingRules(toLicenseRules(rules));
  }

  private readDefaultRoles(): string[] {
    try {
      return defaultGrantedRoles();
    } catch (error) {
      // Without enforcement the roles are never looked at, so a missing file must not stop the simulator.
      if (this.settings.enforcePermissions) throw error;
      return [];
    }
  }

  loadScenario(s: Scenario | 'demo' | ScenarioPath): void {
    const scenario = resolveScenario(s);
    try {
      this.tenant.load(scenario);
    } catch (error) {
      // A scenario that fails half-way (e.g. a user naming an unknown SKU) must not leave a half-loaded tenant.
      this.tenant.load(this.scenario);
      throw error;
    }
    this.scenario = scenario;
    if (scenario.profile) this.applyProfile(scenario.profile);
    this.clearRunState();
  }

  reset(): void {
    this.clearRunState();
    this.faults = [];
    this.tenant.load(this.scenario);
  }

  private clearRunState(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pendingGroups.clear();
    this.pendingMembers.clear();
    this.groupGeneration.clear();
    this.processing.clear();
    this.log.clear();
    this.throttler.reset();
    this.api.resetCursors();
    this.random = new SeededRandom(this.seed);
    this.noiseRandom = new SeededRandom(this.seed ^ NOISE_STREAM);
    this.lagRandom = new SeededRandom(this.seed ^ LAG_STREAM);
  }

  /**
   * Applies every queued group license change now (instead of waiting for the processing delay): groups whose
   * licenses changed, and members added or removed over Graph. Returns how many were queued.
   */
  processPendingGroups(): number {
    const groups = [...this.pendingGroups];
    const members = [...this.pendingMembers];
    const running = [...this.processing.keys()].filter((g) => !this.pendingGroups.has(g));
    this.pendingGroups.clear();
    this.pendingMembers.clear();
    for (const g of [...running, ...groups]) {
      // Stops any run in progress: the whole group is processed now.
      this.groupGeneration.set(g, (this.groupGeneration.get(g) ?? 0) + 1);
      this.processing.delete(g);
      this.tenant.processGroup(g);
    }
    for (const u of members) this.processMember(u);
    return groups.length + running.length + members.length;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private scheduleMember(user: SimUser): void {
    this.pendingMembers.add(user);
    this.later(this.settings.groupProcessingDelayMs / this.timeScale, () => {
      if (this.pendingMembers.delete(user)) this.processMember(user);
    });
  }

  private processMember(user: SimUser): void {
    // The user may have been deleted meanwhile.
    if (this.tenant.users.get(user.id) === user) this.tenant.evaluateUser(user, { cause: 'groupProcessing' });
  }

  private scheduleGroup(group: SimGroup): void {
    this.pendingGroups.add(group);
    const generation = (this.groupGeneration.get(group) ?? 0) + 1;
    this.groupGeneration.set(group, generation);
    this.processing.delete(group);
    this.later(this.settings.groupProcessingDelayMs / this.timeScale, () => {
      if (this.pendingGroups.delete(group)) this.startProcessing(group, generation);
    });
  }

  /**
   * Processes a group's members a slice at a time (`groupMemberProcessingMs` each), so the group shows
   * `ProcessingInProgress` and members gain their licenses one after another; a newer change to the group restarts it.
   */
  private startProcessing(group: SimGroup, generation: number): void {
    const perMemberMs = this.settings.groupMemberProcessingMs / this.timeScale;
    if (perMemberMs <= 0) {
      this.tenant.processGroup(group);
      return;
    }
    const members = this.tenant.directUserMembers(group);
    const run = { generation, members, next: 0 };
    this.processing.set(group, run);
    this.tenant.setProcessingState(group, 'ProcessingInProgress', 0, members.length);
    const step = (): void => {
      if (this.processing.get(group) !== run) return;
      const slice = members.slice(run.next, run.next + GROUP_PROCESSING_SLICE);
      this.tenant.processGroupMembers(group, slice, { cause: 'groupProcessing' });
      run.next += slice.length;
      if (run.next >= members.length) {
        this.processing.delete(group);
        this.tenant.setProcessingState(group, 'ProcessingComplete', members.length, members.length);
        return;
      }
      this.tenant.setProcessingState(group, 'ProcessingInProgress', run.next, members.length);
      this.later(GROUP_PROCESSING_SLICE * perMemberMs, step);
    };
    this.later(GROUP_PROCESSING_SLICE * perMemberMs, step);
  }

  // ------------------------------------------------------------------------------------------ HTTP

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = lowerHeaders(req);
    if (url.pathname === '/_simulator' || url.pathname.startsWith('/_simulator/')) {
      let body: unknown;
      try {
        body = raw.length > 0 ? JSON.parse(raw) : undefined;
      } catch {
        return send(res, 400, { 'content-type': 'application/json' }, JSON.stringify({ error: 'invalid JSON' }));
      }
      const answer = handleControl(this, method, url.pathname.slice('/_simulator'.length), url.searchParams, body);
      const payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
      return send(res, answer.status, answer.body === undefined ? {} : { 'content-type': 'application/json' }, payload);
    }
    const context: CallContext = {
      appId: appIdOf(headers),
      requestId: randomUUID(),
      clientRequestId: headers['client-request-id'] ?? '',
    };
    if (!context.clientRequestId) context.clientRequestId = context.requestId;
    const graphPath = url.pathname.replace(/^\/v1\.0(?=\/|$)/, '');
    const relative = `${graphPath}${url.search}`;

    // Connection-level faults act on the whole HTTP request.
    const fault = url.pathname.startsWith('/v1.0') ? this.pickFault(method, graphPath, ['drop', 'timeout']) : undefined;
    if (fault) {
      this.recordRequest(method, graphPath, 0, 0, 0, context, { fault: fault.kind });
      if (fault.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      this.later((fault.delayMs ?? 120_000) / this.timeScale, () => req.socket.destroy());
      return;
    }
    if (url.pathname.startsWith('/v1.0') && drawReset(this.noise, this.noiseRandom)) {
      // Background connection reset: nothing was processed and nothing is answered.
      this.recordRequest(method, graphPath, 0, 0, 0, context, { noise: 'reset' });
      req.socket.destroy();
      return;
    }

    let result: ItemResult;
    if (!url.pathname.startsWith('/v1.0')) {
      const version = url.pathname.split('/')[1] ?? '';
      const error = badRequest(`Invalid version: ${version}`, 'BadRequest');
      result = this.errorResult(error, context, 0);
      this.recordRequest(method, url.pathname, error.status, 0, 0, context);
    } else if (graphPath === '/$batch' && method === 'POST') {
      result = this.handleBatch(raw, headers, context);
    } else {
      let body: unknown;
      let parseError: GraphError | undefined;
      try {
        body = raw.length > 0 ? JSON.parse(raw) : undefined;
      } catch {
        parseError = badRequest(
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
          'BadRequest',
        );
      }
      result = this.executeItem(method, relative, headers, body, context, parseError);
    }
    const responseHeaders: Record<string, string> = {
      'request-id': context.requestId,
      'client-request-id': context.clientRequestId,
      'cache-control': 'no-cache',
      'odata-version': '4.0',
      ...result.headers,
    };
    let payload = '';
    if (result.text !== undefined) {
      payload = result.text;
      responseHeaders['content-type'] = 'text/plain';
    } else if (result.body !== undefined) {
      payload = JSON.stringify(result.body);
      responseHeaders['content-type'] = JSON_CONTENT_TYPE;
    }
    if (result.delayMs > 0) {
      await new Promise<void>((resolve) => this.later(result.delayMs, resolve));
    }
    if (res.destroyed) return;
    send(res, result.status, responseHeaders, payload);
  }

  private errorResult(error: GraphError, context: CallContext, ru: number): ItemResult {
    return {
      status: error.status,
      headers: { 'x-ms-resource-unit': String(Math.max(1, ru)), ...error.headers },
      body: errorBody(error, { ...context, nowMs: this.now() }),
      delayMs: 0,
    };
  }

  private recordRequest(
    method: string,
    path: string,
    status: number,
    ru: number,
    writeCost: number,
    context: CallContext,
    extra: { throttleScope?: string; fault?: FaultRule['kind']; noise?: NoiseKind } = {},
  ): void {
    this.log.appendRequest(
      {
        at: this.now(),
        method,
        path,
        status,
        ru,
        writeCost,
        appId: context.appId,
        requestId: context.requestId,
        ...(context.batchRequestId ? { batchRequestId: context.batchRequestId } : {}),
        ...extra,
      },
      this.settings.recordRequests,
    );
  }

  /** One Graph request (top level or a `$batch` item): faults, cost, throttling, the handler, the event. */
  private executeItem(
    method: string,
    relativeUrl: string,
    headers: Record<string, string>,
    body: unknown,
    context: CallContext,
    parseError?: GraphError,
  ): ItemResult {
    const url = new URL(relativeUrl, 'http://simulator/');
    let segments: string[];
    try {
      segments = url.pathname
        .split('/')
        .filter(Boolean)
        .map((s) => decodeURIComponent(s));
    } catch {
      segments = url.pathname.split('/').filter(Boolean);
    }
    const path = url.pathname;
    const latencyClass: LatencyClass = GraphApi.latencyClass(method, segments);
    const { ru, writes } = requestCost(method, segments, url.searchParams);
    let delayMs = latencyFor(this.latencyModel, latencyClass, this.random, this.timeScale);

    const errorFault = this.pickFault(method, path, ['error', 'slow']);
    if (errorFault?.kind === 'slow') delayMs += (errorFault.delayMs ?? 5000) / this.timeScale;
    if (errorFault?.kind === 'error') {
      const status = errorFault.status ?? 503;
      const code = status === 503 ? 'serviceNotAvailable' : status === 504 ? 'UnknownError' : 'generalException';
      const message =
        status === 503
          ? 'The service is temporarily unavailable. Please retry later.'
          : status === 504
            ? 'Gateway Timeout'
            : 'General exception while processing.';
      const error = new GraphError(
        status,
        code,
        message,
        errorFault.retryAfterSeconds !== undefined
          ? { 'retry-after': formatRetryAfter(errorFault.retryAfterSeconds / this.timeScale, this.timeScale) }
          : {},
      );
      this.recordRequest(method, path, status, 0, 0, context, { fault: 'error' });
      return { ...this.errorResult(error, context, ru), delayMs };
    }

    if (this.settings.requireAuth && !/^bearer\s+\S+/i.test(headers.authorization ?? '')) {
      const error = new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
      this.recordRequest(method, path, 401, 0, 0, context);
      return { ...this.errorResult(error, context, ru), delayMs: 0 };
    }

    const noise = drawNoise(this.noise, this.noiseRandom, context.appId);
    if (noise) {
      // Load on the service, not the caller's pace: answered at the front door, so nothing ran or was charged.
      const used = this.throttler.usage(context.appId, this.tenant.tenantId, this.tenant.size, writes, this.now());
      const percentage: Record<string, string> =
        used > 0.8 ? { 'x-ms-throttle-limit-percentage': String(Math.min(1.8, Math.round(used * 100) / 100)) } : {};
      const retryAfter: Record<string, string> =
        noise.retryAfterSeconds !== undefined
          ? { 'retry-after': formatRetryAfter(noise.retryAfterSeconds / this.timeScale, this.timeScale) }
          : {};
      const error =
        noise.kind === 'throttle'
          ? // [CONF] no x-ms-throttle-scope (no limit of the app's was hit); CPULimitExceeded is a documented reason.
            new GraphError(429, 'TooManyRequests', noise.message, {
              ...retryAfter,
              'x-ms-throttle-information': 'CPULimitExceeded',
              ...percentage,
            })
          : serviceUnavailable({ ...retryAfter, ...percentage });
      this.recordRequest(method, path, error.status, 0, 0, context, { noise: noise.kind });
      return { ...this.errorResult(error, context, ru), delayMs: Math.min(delayMs, 20 / this.timeScale) };
    }

    const decision = this.throttler.admit(
      context.appId,
      this.tenant.tenantId,
      this.tenant.size,
      ru,
      writes,
      this.now(),
    );
    if (!decision.allowed) {
      const error = new GraphError(429, 'TooManyRequests', 'Please retry again later.', {
        'retry-after': formatRetryAfter(decision.retryAfterSeconds ?? 1, this.timeScale),
        'x-ms-throttle-scope': decision.scope ?? '',
        'x-ms-throttle-information': decision.information ?? '',
        ...(decision.limitPercentage !== undefined
          ? { 'x-ms-throttle-limit-percentage': String(decision.limitPercentage) }
          : {}),
      });
      this.recordRequest(method, path, 429, ru, writes, context, { throttleScope: decision.scope ?? '' });
      // Throttled answers come back fast: the request never reached the directory.
      return { ...this.errorResult(error, context, ru), delayMs: Math.min(delayMs, 20 / this.timeScale) };
    }
    const percentage: Record<string, string> =
      decision.limitPercentage !== undefined
        ? { 'x-ms-throttle-limit-percentage': String(decision.limitPercentage) }
        : {};

    if (this.settings.enforcePermissions) {
      const permission = endpointPermission(method, segments);
      if (permission && !isGranted(permission, rolesOf(headers) ?? this.grantedRoles)) {
        // The directory refuses after the request was admitted (and charged), as an authorization failure.
        const error = insufficientPrivileges();
        this.recordRequest(method, path, error.status, ru, writes, context);
        const failed = this.errorResult(error, context, ru);
        return { ...failed, headers: { ...failed.headers, ...percentage }, delayMs };
      }
    }

    let response: ApiResponse;
    try {
      if (parseError) throw parseError;
      response = this.api.handle({
        method,
        segments,
        query: url.searchParams,
        headers,
        body,
        context: { cause: 'assignLicense', requestId: context.requestId, appId: context.appId },
      });
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      this.recordRequest(method, path, error.status, ru, writes, context);
      const failed = this.errorResult(error, context, ru);
      return { ...failed, headers: { ...failed.headers, ...percentage }, delayMs };
    }
    this.recordRequest(method, path, response.status, ru, writes, context);
    return {
      status: response.status,
      headers: { 'x-ms-resource-unit': String(ru), ...percentage, ...response.headers },
      ...(response.text !== undefined ? { text: response.text } : { body: response.body }),
      delayMs,
    };
  }

  private pickFault(method: string, path: string, kinds: FaultRule['kind'][]): FaultRule | undefined {
    for (const armed of this.faults) {
      const rule = armed.rule;
      if (armed.remaining <= 0 || !kinds.includes(rule.kind)) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.path && !pathMatches(rule.path, path)) continue;
      if (rule.user && !this.pathMentionsUser(path, rule.user)) continue;
      if (rule.probability !== undefined && this.random.next() >= rule.probability) continue;
      armed.remaining--;
      return rule;
    }
    return undefined;
  }

  private pathMentionsUser(path: string, userRef: string): boolean {
    const user = this.tenant.findUser(userRef);
    const keys = [userRef, user?.id, user?.userPrincipalName]
      .filter((k): k is string => !!k)
      .map((k) => k.toLowerCase());
    const decoded = safeDecode(path).toLowerCase();
    return keys.some((k) => decoded.includes(k));
  }

  // ------------------------------------------------------------------------------------------ $batch

  private handleBatch(raw: string, headers: Record<string, string>, context: CallContext): ItemResult {
    let requests: BatchItem[];
    let order: BatchItem[];
    try {
      requests = parseBatch(raw);
      order = orderByDependencies(requests);
    } catch (error) {
      const graphError = error instanceof GraphError ? error : badRequest(String(error), 'BadRequest');
      this.recordRequest('POST', '/$batch', graphError.status, 0, 0, context);
      return this.errorResult(graphError, context, 1);
    }
    this.recordRequest('POST', '/$batch', 200, 0, 0, context);
    const results = new Map<string, { status: number; finishMs: number; response: Record<string, unknown> }>();
    let anyThrottled = false;
    let totalRu = 0;
    for (const item of order) {
      const dependency = item.dependsOn.map((d) => results.get(d.toLowerCase()));
      const startMs = Math.max(0, ...dependency.map((d) => d?.finishMs ?? 0));
      if (dependency.some((d) => !d || d.status < 200 || d.status >= 300)) {
        // [DOC] dependants of a failed request fail with 424.
        results.set(item.id.toLowerCase(), {
          status: 424,
          finishMs: startMs,
          response: {
            id: item.id,
            status: 424,
            headers: { 'Content-Type': 'application/json' },
            body: {
              error: {
                code: 'FailedDependency',
                message: 'The request was not executed because a request it depends on failed.',
              },
            },
          },
        });
        continue;
      }
      const itemHeaders = Object.fromEntries(Object.entries(item.headers).map(([k, v]) => [k.toLowerCase(), v]));
      const itemContext: CallContext = {
        appId: context.appId,
        requestId: randomUUID(),
        clientRequestId: itemHeaders['client-request-id'] ?? context.clientRequestId,
        batchRequestId: context.requestId,
      };
      // Items have their own headers; only the caller's credentials carry over from the envelope.
      const inherited: Record<string, string> = headers.authorization ? { authorization: headers.authorization } : {};
      const result = this.executeItem(item.method, item.url, { ...inherited, ...itemHeaders }, item.body, itemContext);
      if (result.status === 429) anyThrottled = true;
      totalRu += Number(result.headers['x-ms-resource-unit'] ?? 0);
      const responseHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(result.headers)) responseHeaders[batchHeaderName(k)] = v;
      responseHeaders['Cache-Control'] = 'no-cache';
      responseHeaders['OData-Version'] = '4.0';
      if (result.body !== undefined) responseHeaders['Content-Type'] = JSON_CONTENT_TYPE;
      if (result.text !== undefined) responseHeaders['Content-Type'] = 'text/plain';
      results.set(item.id.toLowerCase(), {
        status: result.status,
        finishMs: startMs + result.delayMs,
        response: {
          id: item.id,
          status: result.status,
          headers: responseHeaders,
          ...(result.body !== undefined
            ? { body: result.body }
            : result.text !== undefined
              ? { body: result.text }
              : {}),
        },
      });
    }
    const responses = requests.map((r) => results.get(r.id.toLowerCase())?.response);
    if (this.settings.shuffleBatchResponses) shuffleInPlace(responses, this.random);
    const delayMs = Math.max(0, ...[...results.values()].map((r) => r.finishMs));
    return {
      status: anyThrottled ? this.settings.batchThrottledEnvelopeStatus : 200,
      // The envelope reports what its items were charged in total (each item also carries its own header).
      headers: { 'x-ms-resource-unit': String(Math.max(1, totalRu)) },
      body: { responses },
      delayMs,
    };
  }
}

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

/** Validates a `$batch` body ([DOC] rules); anything malformed fails the whole batch with 400. */
function parseBatch(raw: string): BatchItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badRequest('Invalid batch payload format.', 'BadRequest');
  }
  const requests = (parsed as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests)) throw badRequest('Invalid batch payload format.', 'BadRequest');
  if (requests.length === 0) throw badRequest('Invalid batch payload format.', 'BadRequest');
  if (requests.length > 20) {
    throw badRequest('Number of batch request steps exceeds the maximum of 20.', 'BadRequest');
  }
  const ids = new Set<string>();
  const items = requests.map((r: unknown): BatchItem => {
    const item = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    if (typeof item.id !== 'string' || item.id === '')
      throw badRequest('Batch request step is missing an id.', 'BadRequest');
    const id = item.id;
    if (ids.has(id.toLowerCase()))
      throw badRequest(`Batch request steps must have unique ids. Duplicate id: '${id}'.`, 'BadRequest');
    ids.add(id.toLowerCase());
    if (typeof item.method !== 'string')
      throw badRequest(`Batch request step '${id}' is missing a method.`, 'BadRequest');
    if (typeof item.url !== 'string' || item.url === '')
      throw badRequest(`Batch request step '${id}' is missing a url.`, 'BadRequest');
    if (/^[a-z]+:\/\//i.test(item.url)) {
      throw badRequest(`Batch request step '${id}' must use a relative url.`, 'BadRequest');
    }
    const headers = (typeof item.headers === 'object' && item.headers !== null ? item.headers : undefined) as
      Record<string, string> | undefined;
    let body = item.body;
    if (body !== undefined) {
      const hasContentType = headers && Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
      if (!hasContentType) {
        throw badRequest(`Batch request step '${id}' has a body but no Content-Type header.`, 'BadRequest');
      }
      if (typeof body === 'string') {
        // [DOC] a body may be base64-encoded.
        try {
          body = JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
        } catch {
          throw badRequest(`Batch request step '${id}' has a body that is neither JSON nor base64 JSON.`, 'BadRequest');
        }
      }
    }
    const dependsOn = item.dependsOn === undefined ? [] : item.dependsOn;
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) {
      throw badRequest(`Batch request step '${id}' has an invalid dependsOn.`, 'BadRequest');
    }
    return {
      id,
      method: item.method.toUpperCase(),
      url: item.url.startsWith('/') ? item.url : `/${item.url}`,
      headers: headers ?? {},
      body,
      dependsOn: dependsOn as string[],
    };
  });
  for (const item of items) {
    for (const d of item.dependsOn) {
      if (!ids.has(d.toLowerCase()))
        throw badRequest(`Batch request step '${item.id}' depends on unknown id '${d}'.`, 'BadRequest');
    }
  }
  return items;
}

function orderByDependencies(items: BatchItem[]): BatchItem[] {
  const byId = new Map(items.map((i) => [i.id.toLowerCase(), i]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: BatchItem[] = [];
  const visit = (item: BatchItem): void => {
    const key = item.id.toLowerCase();
    if (done.has(key)) return;
    if (visiting.has(key)) throw badRequest('Batch request steps have circular dependencies.', 'BadRequest');
    visiting.add(key);
    for (const d of item.dependsOn) visit(byId.get(d.toLowerCase()) as BatchItem);
    visiting.delete(key);
    done.add(key);
    order.push(item);
  };
  for (const item of items) visit(item);
  return order;
}

const BATCH_HEADER_NAMES: Record<string, string> = {
  'retry-after': 'Retry-After',
  location: 'Location',
};

function batchHeaderName(name: string): string {
  return BATCH_HEADER_NAMES[name] ?? name;
}

function pathMatches(pattern: string, path: string): boolean {
  const regex = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (regex) return new RegExp(regex[1] ?? '', regex[2]).test(path);
  return safeDecode(path).toLowerCase().includes(pattern.toLowerCase());
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Seed offsets of the noise and lag streams (arbitrary odd constants). */
const NOISE_STREAM = 0x9e3779b1;
const LAG_STREAM = 0x85ebca6b;

/** The `roles` claim of a JWT bearer token (app-only tokens carry the granted application roles there). */
export function rolesOf(headers: Record<string, string>): Set<string> | undefined {
  const claims = jwtClaims(headers);
  const roles = claims?.roles;
  return Array.isArray(roles) ? new Set(roles.filter((r): r is string => typeof r === 'string')) : undefined;
}

function jwtClaims(headers: Record<string, string>): Record<string, unknown> | undefined {
  const token = /^bearer\s+(\S+)/i.exec(headers.authorization ?? '')?.[1];
  const parts = token?.split('.');
  if (parts?.length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    // Not a JWT after all.
    return undefined;
  }
}

/** The app id: JWT `appid` (v1 tokens) or `azp` (v2), else `x-simulator-app-id`, else the default app. */
export function appIdOf(headers: Record<string, string>): string {
  const claims = jwtClaims(headers);
  const app = claims?.appid ?? claims?.azp;
  if (typeof app === 'string' && app) return app;
  return headers['x-simulator-app-id'] ?? DEFAULT_APP_ID;
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, payload: string): void {
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(payload)) });
  res.end(payload);
}
