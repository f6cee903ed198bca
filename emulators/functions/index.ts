import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DueQueue, type HostClock } from './clock';
import { DURABLE_API_PREFIX, durableClientData, handleDurableApi, type ApiResponse } from './durable-api';
import { DurableEngine } from './engine';
import type { HistoryEvent } from './history';
import { loadHostConfig, type HostConfig, type HostJson } from './host-config';
import { hookContextBase, Invoker, type LogSink } from './invoker';
import { defaultLimits, type DurableLimits } from './limits';
import { loadApp, type LoadedApp, type RegisteredFunction } from './loader';
import { compileRoute, type CompiledRoute } from './routes';
import { InstanceStore, type InstanceRecord, type RuntimeStatus } from './store';
import { FileScheduleMonitor, MemoryScheduleMonitor, TimerTriggers } from './timers';

export type { HostClock } from './clock';
export type { HostConfig, HostJson } from './host-config';
export type { DurableLimits } from './limits';
export { checkReplay, type ReplayCheckOptions, type ReplayCheckResult } from './replay';
export type { HistoryEvent } from './history';
export type { RuntimeStatus } from './store';

export interface FunctionsHostOptions {
  /** Absolute path of the module that registers functions (src/index.ts under jest, dist/src/index.js under node). */
  appEntry: string;
  /**
   * For an entry that exports a composition root (src/app.ts's `createApp`): the export to call and, given this
   * host (its clock, say), the dependencies to call it with. Without it, loading the entry registers the app.
   */
  compose?: { exportName: string; argument: (host: FunctionsHost) => unknown };
  /** 0 = pick a free port; default 7071. */
  port?: number;
  clock?: 'real' | 'virtual';
  /**
   * Virtual clock only: the instant it starts at, as epoch milliseconds or an ISO 8601 date-time with an offset
   * (`2026-03-02T09:00:00Z`); default the current second.
   */
  startAt?: number | string;
  /** Omit for in-memory instances. */
  persistenceDir?: string;
  /** When set, authLevel 'function'/'admin' routes need `x-functions-key` or `?code=`. */
  functionKey?: string;
  /** Merged into process.env before the app loads; the previous values come back on stop(). */
  env?: Record<string, string>;
  /** Invocation log sink; default console.log. */
  log?: (line: string) => void;
  /**
   * The app's host.json: a path, or the parsed object itself (tests). Default: the host.json next to the package.json
   * that owns `appEntry` (the function app root); none found = the host's defaults.
   */
  hostJson?: string | HostJson;
  /** Activities running at once; default host.json extensions.durableTask.maxConcurrentActivityFunctions. */
  maxConcurrentActivities?: number;
  /** Orchestrator episodes running at once; default host.json extensions.durableTask.maxConcurrentOrchestratorFunctions. */
  maxConcurrentOrchestrations?: number;
  /** Overrides of the backend / extension limits; default the real ones for host.json's storageProvider.type. */
  limits?: Partial<DurableLimits>;
  /** Largest request body accepted (413 above it); default FUNCTIONS_REQUEST_BODY_SIZE_LIMIT or 100 MB, as the host. */
  maxRequestBodyBytes?: number;
}

export interface InstanceStatus {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  failureDetails?: { errorType: string; errorMessage: string };
}

/** What the host runs with after host.json, the options and the defaults are combined. */
export interface EffectiveSettings {
  hostConfig: HostConfig;
  maxConcurrentActivities: number;
  maxConcurrentOrchestrations: number;
  limits: DurableLimits;
}

export interface FunctionsHost {
  readonly baseUrl: string;
  readonly clock: HostClock;
  /** Settings in force (available once started). */
  readonly settings: EffectiveSettings;
  startOrchestration(name: string, input?: unknown, instanceId?: string): Promise<string>;
  getInstance(id: string): Promise<InstanceStatus | undefined>;
  getHistory(id: string): Promise<HistoryEvent[]>;
  raiseEvent(id: string, name: string, data?: unknown): Promise<void>;
  waitFor(
    id: string,
    predicate: (s: InstanceStatus) => boolean,
    opts?: { timeoutMs?: number },
  ): Promise<InstanceStatus>;
  /** Resolves when no activity runs and no episode or HTTP request is pending (timers may be pending). */
  waitForIdle(): Promise<void>;
  /** Invokes a timer trigger now (same as POST /admin/functions/<name>). */
  fireTimer(functionName: string): Promise<void>;
  /** One line per registered function (routes with their URLs, timer schedules, durable triggers). */
  describeRoutes(): string[];
  stop(): Promise<void>;
}

/** The Functions host's default request body limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, 100 MB). */
const DEFAULT_MAX_BODY_BYTES = 104_857_600;
const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 2_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const host = new LocalFunctionsHost(options);
  await host.start();
  return host;
}

function toStatus(record: InstanceRecord): InstanceStatus {
  return {
    instanceId: record.instanceId,
    name: record.name,
    runtimeStatus: record.runtimeStatus,
    input: record.input,
    output: record.output,
    customStatus: record.customStatus,
    createdTime: new Date(record.createdTime).toISOString(),
    lastUpdatedTime: new Date(record.lastUpdatedTime).toISOString(),
    ...(record.failureDetails ? { failureDetails: record.failureDetails } : {}),
  };
}

interface HttpRoute {
  fn: RegisteredFunction;
  route: CompiledRoute;
  methods: Set<string>;
  authLevel: string;
}

class LocalFunctionsHost implements FunctionsHost {
  readonly clock: HostClock;
  readonly #options: FunctionsHostOptions;
  readonly #log: LogSink;
  readonly #server: http.Server;
  readonly #dueQueue: DueQueue;
  readonly #store: InstanceStore;
  #baseUrl = '';
  #virtualNow: number;
  #autoAdvance = true;
  #manualAdvance = 0;
  #httpInFlight = 0;
  #triggersRunning = 0;
  #idleCheckScheduled = false;
  #idleWaiters: (() => void)[] = [];
  #app: LoadedApp | undefined;
  #engine: DurableEngine | undefined;
  #invoker: Invoker | undefined;
  #timers: TimerTriggers | undefined;
  #httpRoutes: HttpRoute[] = [];
  #settings: EffectiveSettings | undefined;
  /** Values the host replaced in process.env, restored on stop so hosts started one after another don't leak settings. */
  readonly #replacedEnv = new Map<string, string | undefined>();
  #stopped = false;
  /** Path prefix of the durable API the app's own client calls; unguessable, never printed (see durableClientData). */
  readonly #rpcPrefix = `/internal-${randomBytes(16).toString('hex')}`;

  constructor(options: FunctionsHostOptions) {
    this.#options = options;
    this.#log = options.log ?? ((line) => console.log(line));
    const mode = options.clock ?? 'real';
    this.#virtualNow = virtualStart(mode, options.startAt);
    this.clock = {
      mode,
      now: () => (mode === 'virtual' ? this.#virtualNow : Date.now()),
      advanceBy: (ms) => this.#advanceTo(this.clock.now() + ms),
      advanceTo: (epochMs) => this.#advanceTo(epochMs),
      setAutoAdvance: (on) => {
        this.#requireVirtual('setAutoAdvance');
        this.#autoAdvance = on;
        if (on) this.#scheduleIdleCheck();
      },
    };
    this.#dueQueue = new DueQueue(this.clock, () => this.#scheduleIdleCheck());
    this.#store = new InstanceStore(options.persistenceDir);
    this.#server = http.createServer((request, response) => void this.#handleHttp(request, response));
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  get settings(): EffectiveSettings {
    if (!this.#settings) throw new Error('The host is not started.');
    return this.#settings;
  }

  async start(): Promise<void> {
    const port = this.#options.port ?? 7071;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.#server.address() as AddressInfo;
    this.#baseUrl = `http://127.0.0.1:${address.port}`;
    // getClient rewrites URLs to localhost:7071 unless WEBSITE_HOSTNAME is set; any value stops that.
    const env = { WEBSITE_HOSTNAME: process.env.WEBSITE_HOSTNAME ?? `127.0.0.1:${address.port}`, ...this.#options.env };
    for (const [name, value] of Object.entries(env)) {
      this.#replacedEnv.set(name, process.env[name]);
      process.env[name] = value;
    }
    try {
      this.#loadApp();
      await this.#runHooks('appStart');
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  #loadApp(): void {
    // Like the host, refuse to start on an invalid host.json before loading any function.
    const hostConfig = loadHostConfig(this.#options.appEntry, this.#options.hostJson);
    const settings: EffectiveSettings = {
      hostConfig,
      maxConcurrentActivities: this.#options.maxConcurrentActivities ?? hostConfig.maxConcurrentActivityFunctions,
      maxConcurrentOrchestrations:
        this.#options.maxConcurrentOrchestrations ?? hostConfig.maxConcurrentOrchestratorFunctions,
      limits: { ...defaultLimits(hostConfig), ...this.#options.limits },
    };
    this.#settings = settings;
    const { compose } = this.#options;
    const app = loadApp(
      this.#options.appEntry,
      (level, message) => this.#log(`[host] ${level}: ${message}`),
      compose ? { exportName: compose.exportName, argument: compose.argument(this) } : undefined,
    );
    this.#app = app;
    const taskHub = process.env.TASKHUB_NAME ?? 'TestHubName';
    this.#invoker = new Invoker(
      app,
      this.#log,
      () => durableClientData(this.#baseUrl, taskHub, this.#options.functionKey ?? '', this.#rpcPrefix),
      hostConfig.functionTimeoutMs === undefined
        ? undefined
        : { ms: hostConfig.functionTimeoutMs, text: hostConfig.functionTimeoutText },
    );
    this.#engine = new DurableEngine({
      store: this.#store,
      functions: app.functions,
      invoker: this.#invoker,
      now: () => this.clock.now(),
      dueQueue: this.#dueQueue,
      log: this.#log,
      maxConcurrentActivities: settings.maxConcurrentActivities,
      maxConcurrentOrchestrations: settings.maxConcurrentOrchestrations,
      limits: settings.limits,
      storageBackend: hostConfig.storageBackend,
      overridableExistingInstanceStates: hostConfig.overridableExistingInstanceStates,
      onWorkFinished: () => this.#scheduleIdleCheck(),
    });
    for (const fn of app.functions.values()) {
      if (fn.kind !== 'http') continue;
      const methods = (fn.trigger.methods as string[] | undefined) ?? ['GET', 'POST'];
      this.#httpRoutes.push({
        fn,
        route: compileRoute(typeof fn.trigger.route === 'string' ? fn.trigger.route : fn.name),
        methods: new Set(methods.map((method) => method.toUpperCase())),
        authLevel: (typeof fn.trigger.authLevel === 'string' ? fn.trigger.authLevel : 'anonymous').toLowerCase(),
      });
    }
    this.#httpRoutes.sort((a, b) => b.route.specificity - a.route.specificity);
    this.#timers = new TimerTriggers(
      app.functions.values(),
      this.#dueQueue,
      () => this.clock.now(),
      (fn, value) => this.#runTrigger(fn, value),
      this.#options.persistenceDir !== undefined
        ? new FileScheduleMonitor(this.#options.persistenceDir)
        : new MemoryScheduleMonitor(),
      this.#log,
    );
    this.#engine.recover();
    this.#timers.start();
    this.#scheduleIdleCheck();
  }

  /** Lines for a human: every route and trigger the app registered. */
  describeRoutes(): string[] {
    const lines: string[] = [];
    for (const fn of this.#app?.functions.values() ?? []) {
      if (fn.kind === 'http') {
        const route = this.#httpRoutes.find((candidate) => candidate.fn === fn);
        lines.push(
          `${fn.name}: [${[...(route?.methods ?? [])].join(',')}] ${this.#baseUrl}/api/${route?.route.template ?? ''}`,
        );
      } else if (fn.kind === 'timer') {
        lines.push(`${fn.name}: timerTrigger (${String(fn.trigger.schedule)})`);
      } else {
        lines.push(`${fn.name}: ${fn.trigger.type}`);
      }
    }
    return lines;
  }

  async #runHooks(name: 'appStart' | 'appTerminate'): Promise<void> {
    for (const hook of this.#app?.hooks ?? []) {
      if (hook.name === name) await hook.callback({ hookData: {}, ...hookContextBase(this.#app!) });
    }
  }

  #requireVirtual(operation: string): void {
    if (this.clock.mode !== 'virtual')
      throw new Error(`clock.${operation} needs a host started with clock: 'virtual'.`);
  }

  get #busy(): number {
    return (this.#engine?.pendingWork ?? 0) + this.#httpInFlight + this.#triggersRunning;
  }

  #scheduleIdleCheck(): void {
    if (this.#idleCheckScheduled || this.#stopped) return;
    this.#idleCheckScheduled = true;
    setImmediate(() => {
      this.#idleCheckScheduled = false;
      if (this.#stopped || this.#busy > 0) return;
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
      if (this.clock.mode === 'virtual' && this.#autoAdvance && this.#manualAdvance === 0) {
        // Durable timers and timer-trigger occurrences alike: an app with a recurring schedule therefore keeps
        // moving time forward while the host is otherwise idle (turn auto-advance off to hold time still).
        const target = this.#dueQueue.earliest();
        if (target !== undefined) {
          this.#virtualNow = Math.max(this.#virtualNow, target);
          this.#dueQueue.fireDue(this.#virtualNow);
          this.#scheduleIdleCheck();
        }
      }
    });
  }

  waitForIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#scheduleIdleCheck();
    });
  }

  async #advanceTo(target: number): Promise<void> {
    this.#requireVirtual('advanceTo/advanceBy');
    this.#manualAdvance++;
    try {
      await this.waitForIdle();
      for (;;) {
        const next = this.#dueQueue.earliest();
        if (next === undefined || next > target) break;
        this.#virtualNow = Math.max(this.#virtualNow, next);
        this.#dueQueue.fireDue(this.#virtualNow);
        await this.waitForIdle();
      }
      this.#virtualNow = Math.max(this.#virtualNow, target);
      await this.waitForIdle();
    } finally {
      this.#manualAdvance--;
      this.#scheduleIdleCheck();
    }
  }

  #engineOrThrow(): DurableEngine {
    if (!this.#engine) throw new Error('The host is not started.');
    return this.#engine;
  }

  startOrchestration(name: string, input?: unknown, instanceId?: string): Promise<string> {
    return settle(() => this.#engineOrThrow().startNew(name, input, instanceId).instanceId);
  }

  getInstance(id: string): Promise<InstanceStatus | undefined> {
    return settle(() => {
      const record = this.#engineOrThrow().get(id);
      return record ? toStatus(record) : undefined;
    });
  }

  getHistory(id: string): Promise<HistoryEvent[]> {
    return settle(
      () =>
        this.#engineOrThrow()
          .get(id)
          ?.history.map((event) => ({ ...event })) ?? [],
    );
  }

  raiseEvent(id: string, name: string, data?: unknown): Promise<void> {
    return settle(() => {
      const result = this.#engineOrThrow().raiseEvent(id, name, data);
      if (result === 'notFound') throw new Error(`No instance with ID '${id}' found.`);
      if (result === 'gone') throw new Error(`The instance '${id}' is no longer running.`);
    });
  }

  waitFor(
    id: string,
    predicate: (s: InstanceStatus) => boolean,
    opts: { timeoutMs?: number } = {},
  ): Promise<InstanceStatus> {
    const engine = this.#engineOrThrow();
    return new Promise((resolve, reject) => {
      const check = (record: InstanceRecord | undefined): boolean => {
        if (!record) return false;
        const status = toStatus(record);
        if (!predicate(status)) return false;
        finish();
        resolve(status);
        return true;
      };
      const unsubscribe = engine.onStatusChange((record) => {
        if (record.instanceId === id) check(record);
      });
      const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
      const timer = setTimeout(() => {
        finish();
        const record = engine.get(id);
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for instance '${id}'; last status: ` +
              JSON.stringify(record ? toStatus(record) : 'not found'),
          ),
        );
      }, timeoutMs);
      const finish = (): void => {
        unsubscribe();
        clearTimeout(timer);
      };
      check(engine.get(id));
    });
  }

  async fireTimer(functionName: string): Promise<void> {
    if (!this.#timers?.has(functionName)) throw new Error(`No timer-triggered function named '${functionName}'.`);
    await this.#timers.fireNow(functionName);
  }

  async #runTrigger(fn: RegisteredFunction, triggerValue: unknown): Promise<void> {
    this.#triggersRunning++;
    try {
      await this.#invoker!.invoke(fn, triggerValue);
    } catch {
      // Already logged by the invoker; a failing timer function doesn't stop its schedule.
    } finally {
      this.#triggersRunning--;
      this.#scheduleIdleCheck();
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timers?.stop();
    this.#dueQueue.stop();
    this.#engine?.stop();
    // Like the host's graceful shutdown: give functions in flight a moment to return (their results are dropped).
    if (this.#engine) await Promise.race([this.#engine.whenQuiet(), delay(STOP_GRACE_MS)]);
    try {
      await this.#runHooks('appTerminate');
    } finally {
      this.#store.close();
      this.#app?.unload();
      for (const [name, value] of this.#replacedEnv) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      this.#server.closeAllConnections();
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  // ---- HTTP ----

  async #handleHttp(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    this.#httpInFlight++;
    try {
      const limit =
        this.#options.maxRequestBodyBytes ??
        (Number(process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT) || DEFAULT_MAX_BODY_BYTES);
      const body = await readBody(request, limit);
      if (body === 'too-large') {
        send(response, { status: 413, text: `Request body is larger than ${limit} bytes.` });
        return;
      }
      await this.#route(request, response, body);
    } catch (error) {
      this.#log(`[host] HTTP ${request.method ?? ''} ${request.url ?? ''} failed: ${String(error)}`);
      if (!response.headersSent) send(response, { status: 500, text: '' });
      else response.end();
    } finally {
      this.#httpInFlight--;
      this.#scheduleIdleCheck();
    }
  }

  async #route(request: http.IncomingMessage, response: http.ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', this.#baseUrl);
    const method = (request.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    if (!this.#engine) {
      send(response, { status: 503, text: 'The host is starting.' });
      return;
    }
    if (path === '/api' || path.startsWith('/api/')) {
      await this.#invokeHttpTrigger(request, response, url, method, body);
      return;
    }
    const internal = path.startsWith(this.#rpcPrefix + DURABLE_API_PREFIX + '/');
    const durablePath = internal ? path.slice(this.#rpcPrefix.length) : path;
    if (durablePath.toLowerCase().startsWith(DURABLE_API_PREFIX + '/')) {
      // The public webhook URLs need the key, as the system key guards them in Azure; the app's client calls the
      // internal prefix (see durableClientData).
      if (!internal && !this.#keyGiven(request, url)) {
        send(response, { status: 401, text: '' });
        return;
      }
      const result = handleDurableApi(
        method,
        durablePath.slice(DURABLE_API_PREFIX.length),
        url.searchParams,
        flattenHeaders(request.headers),
        body.toString('utf8'),
        {
          engine: this.#engine,
          baseUrl: this.#baseUrl,
          taskHub: process.env.TASKHUB_NAME ?? 'TestHubName',
          systemKey: this.#options.functionKey ?? '',
          instances: () => this.#store.all(),
        },
      );
      send(response, result);
      return;
    }
    if (path === '/admin/host/status' && method === 'GET') {
      send(response, { status: 200, json: { state: 'Running', version: 'license-shift local host' } });
      return;
    }
    const admin = /^\/admin\/functions\/([^/]+)$/i.exec(path);
    if (admin && method === 'POST') {
      // The master key guards the admin API in Azure.
      if (!this.#keyGiven(request, url)) {
        send(response, { status: 401, text: '' });
        return;
      }
      send(response, await this.#adminInvoke(decodeURIComponent(admin[1]!), body));
      return;
    }
    send(response, { status: 404, text: 'Not found' });
  }

  /** True when no key is configured, or the request carries it (`x-functions-key` or `?code=`). */
  #keyGiven(request: http.IncomingMessage, url: URL): boolean {
    const key = this.#options.functionKey;
    if (!key) return true;
    return (request.headers['x-functions-key'] ?? url.searchParams.get('code')) === key;
  }

  async #adminInvoke(name: string, body: Buffer): Promise<ApiResponse> {
    const fn = this.#app?.functions.get(name.toLowerCase());
    if (!fn) return { status: 404, text: `No function named '${name}'.` };
    if (fn.kind === 'timer') {
      await this.fireTimer(fn.name);
      return { status: 202 };
    }
    if (fn.kind === 'other') {
      let input: unknown = null;
      try {
        const parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as { input?: unknown }) : {};
        input = parsed.input ?? null;
      } catch {
        return { status: 400, text: 'The body must be JSON like {"input": ...}.' };
      }
      await this.#runTrigger(fn, input);
      return { status: 202 };
    }
    return {
      status: 400,
      text: `'${fn.name}' is an ${fn.kind} function; only non-HTTP, non-durable functions can be invoked here.`,
    };
  }

  async #invokeHttpTrigger(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    url: URL,
    method: string,
    body: Buffer,
  ): Promise<void> {
    const subPath = url.pathname.slice('/api'.length);
    let matched: { route: HttpRoute; params: Record<string, string> } | undefined;
    let pathMatched = false;
    for (const route of this.#httpRoutes) {
      const params = route.route.match(subPath);
      if (!params) continue;
      pathMatched = true;
      if (route.methods.has(method)) {
        matched = { route, params };
        break;
      }
    }
    if (!matched) {
      send(response, pathMatched ? { status: 405, text: 'Method not allowed' } : { status: 404, text: 'Not found' });
      return;
    }
    if (matched.route.authLevel !== 'anonymous' && !this.#keyGiven(request, url)) {
      send(response, { status: 401, text: '' });
      return;
    }
    const az = this.#app!.azureFunctions;
    const headers = flattenHeaders(request.headers);
    const httpRequest = new az.HttpRequest({
      method,
      url: url.href,
      headers,
      params: matched.params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    });
    const result = await this.#invoker!.invoke(matched.route.fn, httpRequest, {
      triggerMetadata: { headers, params: matched.params, query: Object.fromEntries(url.searchParams) },
    });
    const httpResponse = isHttpResponse(result)
      ? result
      : new az.HttpResponse((result ?? {}) as Record<string, unknown>);
    response.statusCode = httpResponse.status;
    httpResponse.headers.forEach((value, name) => response.setHeader(name, value));
    const cookies = (httpResponse as { cookies?: { name: string; value: string }[] }).cookies ?? [];
    if (cookies.length > 0)
      response.setHeader(
        'Set-Cookie',
        cookies.map((cookie) => `${cookie.name}=${cookie.value}`),
      );
    response.end(Buffer.from(await httpResponse.arrayBuffer()));
  }
}

/** Where virtual time starts: the given instant, else the current second so logs stay readable. */
function virtualStart(mode: 'real' | 'virtual', startAt: number | string | undefined): number {
  if (startAt === undefined) return Math.floor(Date.now() / 1000) * 1000;
  if (mode !== 'virtual') throw new Error(`startAt needs clock: 'virtual'; the real clock cannot be moved.`);
  // A date-time without an offset would be read in the machine's time zone, so it would name different instants.
  const withOffset = typeof startAt === 'string' && /T.*(Z|[+-]\d{2}:?\d{2})$/i.test(startAt.trim());
  const epochMs = typeof startAt === 'number' ? startAt : withOffset ? Date.parse(startAt) : NaN;
  if (!Number.isFinite(epochMs)) {
    throw new Error(
      `startAt ${JSON.stringify(startAt)} is not an instant: give epoch milliseconds or an ISO 8601 date-time with an ` +
        'offset, such as 2026-03-02T09:00:00Z.',
    );
  }
  return epochMs;
}

/** Runs synchronous work behind a Promise so its errors arrive as rejections. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function isHttpResponse(
  value: unknown,
): value is { status: number; headers: Headers; arrayBuffer(): Promise<ArrayBuffer> } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { arrayBuffer?: unknown }).arrayBuffer === 'function' &&
    (value as { headers?: unknown }).headers instanceof Headers
  );
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    request.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: http.ServerResponse, result: ApiResponse): void {
  response.statusCode = result.status;
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, value);
  if (result.json !== undefined) {
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.end(JSON.stringify(result.json));
  } else if (result.text !== undefined) {
    response.setHeader('Content-Type', 'text/plain; charset=utf-8');
    response.end(result.text);
  } else {
    response.end();
  }
}
