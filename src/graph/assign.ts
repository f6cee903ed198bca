/**
 * `assignLicense` for many users: `$batch` requests of up to 20 (one item per user), paced to the tenant's write
 * budget. Only throttled, 5xx, reset or timed-out items are retried. A write whose outcome is unknown (no answer,
 * 5xx) is never blindly resent: the user is read back first, and the write is sent again only if it did not land.
 */
import type { AssignedLicense, UserLicenseSnapshot } from '../domain/types';
import { errorMessage, isGuid, isRecord } from '../domain/values';
import {
  classifyGraphError,
  failureFromBody,
  headerValue,
  type GraphErrorInfo,
  type GraphOperation,
  type RawGraphFailure,
} from './errors';
import { toAssignedLicenses, toSnapshot, type GraphReader } from './reads';
import {
  CredentialFailure,
  credentialError,
  retryAfterMs,
  TransportFailure,
  type GraphExchange,
  type GraphTransport,
} from './transport';
import { DEFAULT_FLOW } from './pacing';
import type { AssignLicenseItem, AssignLicenseResult, AssignLicensesOptions, RetryPolicy } from './types';

/** Graph's limit on requests per `$batch` (Microsoft Graph JSON batching). */
export const BATCH_LIMIT = 20;

interface Work {
  index: number;
  item: AssignLicenseItem;
  /** Lower-cased user id used in the URL. */
  userId: string;
  /** assignLicense requests sent for this user. */
  attempts: number;
  throttled: number;
  transient: number;
  notBefore: number;
  /** An earlier attempt may have landed: read the user before sending again. */
  verify: boolean;
  busy: boolean;
  /** A 429 is not waited out: the item comes back at once as `Deferred` (AssignLicensesOptions.deferThrottled). */
  defer: boolean;
  lastError?: GraphErrorInfo;
  result?: AssignLicenseResult;
}

type BatchItemResponse = { id: string; status: number; headers: Record<string, string>; body: unknown };

export class LicenseAssigner {
  constructor(
    private readonly transport: GraphTransport,
    private readonly reader: GraphReader,
    private readonly retry: RetryPolicy,
    private readonly log: (msg: string) => void,
    /** Whose writes these are (a migration id): the tenant's gates serve runs in turn. */
    private readonly flow: string = DEFAULT_FLOW,
  ) {}

  async assign(items: AssignLicenseItem[], opts: AssignLicensesOptions = {}): Promise<AssignLicenseResult[]> {
    const work = items.map((item, index) => this.prepare(item, index, opts.deferThrottled === true));
    rejectDuplicates(work);
    // 'held': the caller already claimed its share for the whole unit of work (holdBudgetShare).
    const lease = opts.budgetShare === 'held' ? undefined : this.transport.pacer.lease(opts.budgetShare ?? 1);
    try {
      await this.pump(work, opts.signal, Math.max(1, Math.min(BATCH_LIMIT, Math.floor(opts.batchSize ?? BATCH_LIMIT))));
    } finally {
      lease?.release();
    }
    return work.map((w) => w.result ?? this.fail(w, cancelledError(w)));
  }

  private prepare(item: AssignLicenseItem, index: number, defer: boolean): Work {
    const work: Work = {
      index,
      item,
      userId: item.userId.toLowerCase(),
      attempts: 0,
      throttled: 0,
      transient: 0,
      notBefore: Number.NEGATIVE_INFINITY,
      verify: false,
      busy: false,
      defer,
    };
    const problem = invalidItem(item);
    if (problem) {
      this.fail(work, {
        errorClass: 'permanent',
        status: 400,
        code: 'InvalidArgument',
        message: problem,
        reason: `The license change is malformed: ${problem}`,
        action: 'Fix the plan that produced this change; nothing was sent to Graph.',
      });
    }
    return work;
  }

  /** Sends until every item has a result: batches as the budget allows, retries as their waits expire. */
  private async pump(work: Work[], signal: AbortSignal | undefined, batchLimit: number): Promise<void> {
    const tasks = new Set<Promise<void>>();
    let wake!: () => void;
    let woken = new Promise<void>((resolve) => (wake = resolve));
    const notify = (): void => {
      wake();
      woken = new Promise<void>((resolve) => (wake = resolve));
    };
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const launch = (task: Promise<void>, group: Work[]): void => {
      const tracked: Promise<void> = task
        .catch((error: unknown) => {
          this.log(`graph: batch task failed unexpectedly: ${String(error)}`);
          // Never resend blindly: the users of that batch are read back first.
          for (const w of group.filter((g) => !g.result)) {
            this.unknownOutcome(w, { status: 0, code: 'UnexpectedError', message: String(error) }, 'assignLicense');
          }
        })
        .finally(() => {
          tasks.delete(tracked);
          notify();
        });
      tasks.add(tracked);
    };

    try {
      await this.sendAll(work, signal, batchLimit, { tasks, launch, aborted, woken: () => woken });
    } finally {
      // The caller's signal outlives this call (one per activity): leave no listener behind on it.
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private async sendAll(
    work: Work[],
    signal: AbortSignal | undefined,
    batchLimit: number,
    loop: {
      tasks: Set<Promise<void>>;
      launch: (task: Promise<void>, group: Work[]) => void;
      aborted: Promise<void>;
      woken: () => Promise<void>;
    },
  ): Promise<void> {
    const { clock, pacer } = this.transport;
    const { tasks, launch, aborted } = loop;
    for (;;) {
      const woken = loop.woken();
      const idle = work.filter((w) => !w.result && !w.busy);
      if (idle.length === 0 && tasks.size === 0) return;
      if (signal?.aborted) {
        for (const w of idle) this.fail(w, cancelledError(w));
        if (tasks.size === 0) return;
        await woken;
        continue;
      }
      const now = clock.now();
      const ready = idle.filter((w) => w.notBefore <= now);
      if (ready.length === 0) {
        const next = idle.reduce((soonest, w) => Math.min(soonest, w.notBefore), Number.POSITIVE_INFINITY);
        const waits: Promise<unknown>[] = [woken, aborted];
        if (Number.isFinite(next)) waits.push(clock.sleep(Math.max(0, next - now)));
        await Promise.race(waits);
        continue;
      }
      const toVerify = ready.filter((w) => w.verify).slice(0, batchLimit);
      const group = toVerify.length > 0 ? toVerify : ready.slice(0, batchLimit);
      const writes = toVerify.length > 0 ? 0 : group.length;
      for (const w of group) w.busy = true;
      const granted = await this.transport.pace({ writes, resourceUnits: group.length, flow: this.flow }, signal);
      if (!granted) {
        for (const w of group) w.busy = false;
        continue;
      }
      const release = await pacer.concurrency.acquire(this.flow);
      const task = toVerify.length > 0 ? this.verify(group) : this.write(group);
      launch(
        task.finally(() => {
          release();
          for (const w of group) w.busy = false;
        }),
        group,
      );
    }
  }

  /** One `$batch` of assignLicense calls. */
  private async write(group: Work[]): Promise<void> {
    for (const w of group) w.attempts += 1;
    const requests = group.map((w) => ({
      id: String(w.index),
      method: 'POST',
      url: `/users/${w.userId}/assignLicense`,
      headers: { 'Content-Type': 'application/json' },
      body: {
        addLicenses: w.item.addLicenses.map((l) => ({ skuId: l.skuId, disabledPlans: l.disabledPlans })),
        removeLicenses: w.item.removeLicenses,
      },
    }));
    const responses = await this.sendBatch(group, requests, 'assignLicense', group.length);
    if (!responses) return;
    let succeeded = 0;
    for (const { w, response } of responses) {
      const { status, headers, body } = response;
      if (status >= 200 && status < 300) {
        succeeded += 1;
        this.succeed(w, toAssignedLicenses(isRecord(body) ? body.assignedLicenses : undefined), headers);
      } else {
        this.itemFailed(w, response, 'assignLicense', true);
      }
    }
    this.transport.pacer.onAnswered('write', succeeded);
  }

  /** Reads users whose last write has an unknown outcome; those already changed are done, the others are resent. */
  private async verify(group: Work[]): Promise<void> {
    const requests = group.map((w) => ({ id: String(w.index), method: 'GET', url: this.reader.userPath(w.userId) }));
    const responses = await this.sendBatch(group, requests, 'readUsers', 0);
    if (!responses) return;
    const now = this.transport.clock.now();
    for (const { w, response } of responses) {
      if (response.status === 200 && isRecord(response.body)) {
        const user = toSnapshot(response.body);
        if (holdsRequestedState(user, w.item)) {
          this.log(`graph: user ${w.userId} already has the change after an unanswered attempt; not resending`);
          this.succeed(w, user.assignedLicenses, response.headers);
        } else {
          w.verify = false;
          w.notBefore = now;
        }
      } else {
        this.itemFailed(w, response, response.status === 404 ? 'assignLicense' : 'readUsers', false);
      }
    }
  }

  /**
   * Sends one `$batch` and pairs each response with its item by id (responses come in any order). Failures of
   * the whole batch are applied to every item; returns undefined then.
   */
  private async sendBatch(
    group: Work[],
    requests: { id: string; method: string; url: string }[],
    operation: GraphOperation,
    writes: number,
  ): Promise<{ w: Work; response: BatchItemResponse }[] | undefined> {
    const exchange = await this.exchangeBatch(group, requests, operation, writes);
    if (!exchange) return undefined;
    const envelope = isRecord(exchange.body) ? exchange.body : {};
    if (!Array.isArray(envelope.responses)) {
      this.batchRefused(group, exchange, operation, writes);
      return undefined;
    }
    const { paired, unanswered } = this.pairResponses(group, envelope.responses as unknown[], exchange);
    // An item Graph did not answer for may or may not have run.
    for (const w of unanswered) {
      this.unknownOutcome(
        w,
        { status: 0, code: 'MissingBatchResponse', message: 'The $batch answer had no response for this request.' },
        operation,
      );
    }
    const kind = writes > 0 ? 'write' : 'read';
    for (const { response } of paired) {
      if (response.status !== 429) continue;
      const retryAfterMs = this.retryAfter(response);
      const scope = response.headers['x-ms-throttle-scope'];
      // One write per item of a write batch (see `writes` above).
      this.transport.pacer.onThrottled({
        kind,
        retryAfterMs,
        startedAt: exchange.startedAt,
        scope,
        writes: kind === 'write' ? 1 : 0,
      });
    }
    if (kind === 'read')
      this.transport.pacer.onAnswered('read', paired.filter((p) => p.response.status !== 429).length);
    return paired;
  }

  /** The `$batch` round trip; a failure without an answer leaves every item's outcome unknown. */
  private async exchangeBatch(
    group: Work[],
    requests: { id: string; method: string; url: string }[],
    operation: GraphOperation,
    writes: number,
  ): Promise<GraphExchange | undefined> {
    const request = {
      method: 'POST' as const,
      path: '/$batch',
      body: { requests },
      operation,
      writes,
      flow: this.flow,
    };
    try {
      return await this.transport.exchange({ ...request, resourceUnits: group.length });
    } catch (error) {
      for (const w of group) {
        if (error instanceof CredentialFailure) this.fail(w, credentialError(error, operation).info);
        else if (error instanceof TransportFailure) {
          this.unknownOutcome(w, { status: 0, code: error.kind, message: error.message }, operation);
        } else {
          // Whatever happened, the batch may have reached Graph: read before resending.
          this.unknownOutcome(w, { status: 0, code: 'UnexpectedError', message: errorMessage(error) }, operation);
        }
      }
      return undefined;
    }
  }

  /** The whole `$batch` was refused (throttled, 5xx, malformed): every item shares that answer. */
  private batchRefused(group: Work[], exchange: GraphExchange, operation: GraphOperation, writes: number): void {
    const failure = failureFromBody(exchange.status, exchange.body, exchange.headers);
    const asItem: BatchItemResponse = { id: '', status: exchange.status, headers: {}, body: exchange.body };
    exchange.headers.forEach((value, name) => (asItem.headers[name] = value));
    if (exchange.status === 429) {
      this.transport.pacer.onThrottled({
        kind: writes > 0 ? 'write' : 'read',
        retryAfterMs: this.retryAfter(asItem),
        startedAt: exchange.startedAt,
        scope: exchange.headers.get('x-ms-throttle-scope') ?? undefined,
        writes,
      });
    }
    for (const w of group) {
      if (exchange.status === 429 || exchange.status >= 500 || exchange.status === 408) {
        this.itemFailed(w, asItem, operation, writes > 0);
      } else {
        this.fail(w, classifyGraphError(failure, operation));
      }
    }
  }

  /** Items paired with their answers by id, the resource units Graph charged, and the items left unanswered. */
  private pairResponses(
    group: Work[],
    responses: unknown[],
    exchange: GraphExchange,
  ): { paired: { w: Work; response: BatchItemResponse }[]; unanswered: Work[] } {
    const envelopeRequestId = exchange.headers.get('request-id') ?? undefined;
    const byId = new Map(group.map((w) => [String(w.index), w]));
    const paired: { w: Work; response: BatchItemResponse }[] = [];
    let chargedUnits = 0;
    let chargedKnown = false;
    let pressure: number | undefined;
    for (const raw of responses) {
      if (!isRecord(raw)) continue;
      const w = byId.get(String(raw.id));
      if (!w) continue;
      byId.delete(String(raw.id));
      const headers: Record<string, string> = {};
      if (isRecord(raw.headers)) for (const [k, v] of Object.entries(raw.headers)) headers[k.toLowerCase()] = String(v);
      if (envelopeRequestId !== undefined && headers['request-id'] === undefined) {
        headers['request-id'] = envelopeRequestId;
      }
      const units = Number.parseInt(headers['x-ms-resource-unit'] ?? '', 10);
      if (Number.isFinite(units)) {
        chargedUnits += units;
        chargedKnown = true;
      }
      const percentage = Number.parseFloat(headers['x-ms-throttle-limit-percentage'] ?? '');
      if (Number.isFinite(percentage)) pressure = Math.max(pressure ?? 0, percentage);
      paired.push({ w, response: { id: String(raw.id), status: Number(raw.status), headers, body: raw.body } });
    }
    if (chargedKnown && !exchange.headers.has('x-ms-resource-unit')) {
      this.transport.pacer.correctResourceUnits(chargedUnits - group.length);
    }
    if (pressure !== undefined) this.transport.pacer.onResponse(exchange.startedAt, pressure);
    return { paired, unanswered: [...byId.values()] };
  }

  /** A non-2xx item: 429 waits for its Retry-After, 5xx is an unknown outcome, 424 did not run, the rest is final. */
  private itemFailed(w: Work, response: BatchItemResponse, operation: GraphOperation, wasWrite: boolean): void {
    const failure = failureFromBody(response.status, response.body, response.headers);
    const { status } = response;
    if (status === 429) {
      w.throttled += 1;
      w.lastError = classifyGraphError(failure, operation);
      // A 429 means the request did not run, so nothing was written: the caller may send it again later. (Not so
      // while an earlier attempt's outcome is unknown: that user is read back here first.)
      if (w.defer && !w.verify) this.fail(w, deferredError(w, this.retryAfter(response)));
      else if (w.throttled > this.retry.maxThrottled) this.fail(w, w.lastError);
      else w.notBefore = this.transport.clock.now() + this.retryAfter(response);
      return;
    }
    if (status === 424) {
      // Failed dependency: Graph did not run it, so it can be sent again as is.
      this.transient(w, classifyGraphError(failure, operation));
      return;
    }
    if (status >= 500 || status === 408) {
      if (wasWrite || w.verify) this.unknownOutcome(w, failure, operation);
      else this.transient(w, classifyGraphError(failure, operation));
      return;
    }
    this.fail(w, classifyGraphError(failure, operation));
  }

  private unknownOutcome(w: Work, failure: RawGraphFailure, operation: GraphOperation): void {
    w.verify = true;
    this.transient(w, classifyGraphError(failure, operation));
  }

  private transient(w: Work, error: GraphErrorInfo): void {
    w.transient += 1;
    w.lastError = error;
    if (w.transient > this.retry.maxTransientFailures) this.fail(w, error);
    else w.notBefore = this.transport.clock.now() + this.transport.backoff(w.transient);
  }

  private retryAfter(response: BatchItemResponse): number {
    return retryAfterMs(response.headers, this.retry.defaultRetryAfterMs, this.transport.clock.now());
  }

  private succeed(w: Work, after: AssignedLicense[], headers: Record<string, string>): void {
    w.result = {
      userId: w.item.userId,
      ok: true,
      after,
      requestId: headerValue(headers, 'request-id') ?? headerValue(headers, 'client-request-id') ?? '',
      attempts: w.attempts,
      throttled: w.throttled,
    };
  }

  private fail(w: Work, error: GraphErrorInfo): AssignLicenseResult {
    w.result = { userId: w.item.userId, ok: false, error, attempts: w.attempts, throttled: w.throttled };
    return w.result;
  }
}

function invalidItem(item: AssignLicenseItem): string | undefined {
  if (!isGuid(item.userId)) return `userId ${JSON.stringify(item.userId)} is not an object id (GUID).`;
  for (const license of item.addLicenses) {
    if (!isGuid(license.skuId)) return `skuId ${JSON.stringify(license.skuId)} to add is not a GUID.`;
    const plan = license.disabledPlans.find((p) => !isGuid(p));
    if (plan !== undefined) return `disabled plan ${JSON.stringify(plan)} is not a service plan id (GUID).`;
  }
  const removal = item.removeLicenses.find((sku) => !isGuid(sku));
  if (removal !== undefined) return `skuId ${JSON.stringify(removal)} to remove is not a GUID.`;
  return undefined;
}

/** Two changes for one user in one call would race each other on Graph; the later ones are refused. */
function rejectDuplicates(work: Work[]): void {
  const seen = new Set<string>();
  for (const w of work) {
    if (w.result) continue;
    if (seen.has(w.userId)) {
      w.result = {
        userId: w.item.userId,
        ok: false,
        attempts: 0,
        throttled: 0,
        error: {
          errorClass: 'permanent',
          status: 400,
          code: 'DuplicateUser',
          message: `User ${w.item.userId} appears more than once in one assignLicenses call.`,
          reason: 'The same user was given two license changes at once.',
          action: 'Merge the changes for this user into one item; only the first was applied.',
        },
      };
    }
    seen.add(w.userId);
  }
}

/** The code of a result handed back unsent after a 429 (AssignLicensesOptions.deferThrottled). */
export const DEFERRED_CODE = 'Deferred';

function deferredError(w: Work, retryAfterMs: number): GraphErrorInfo {
  return {
    errorClass: 'retryable',
    status: 429,
    code: DEFERRED_CODE,
    message: `Graph throttled this request (Retry-After ${Math.round(retryAfterMs)} ms); it was handed back unsent.`,
    reason: `Graph asked to wait before changing user ${w.item.userId}; nothing was written.`,
    action: 'Send it again after the wait.',
  };
}

function cancelledError(w: Work): GraphErrorInfo {
  return {
    errorClass: 'retryable',
    status: 0,
    code: 'Cancelled',
    message: 'The operation was cancelled.',
    reason: w.verify
      ? 'Cancelled while the outcome of an earlier attempt for this user was unknown.'
      : 'Cancelled before this user was changed.',
    action: w.verify
      ? "Re-read the user's licenses (re-running the migration does) before changing them again."
      : 'Run the batch again; nothing was written for this user.',
  };
}

const sameIds = (a: readonly string[], b: readonly string[]): boolean => {
  const left = new Set(a.map((x) => x.toLowerCase()));
  const right = new Set(b.map((x) => x.toLowerCase()));
  return left.size === right.size && [...left].every((x) => right.has(x));
};

/** Does the user already hold exactly what the item asked for (every add with its disabled plans, no removed SKU)? */
export function holdsRequestedState(user: UserLicenseSnapshot, item: AssignLicenseItem): boolean {
  const direct =
    user.licenseAssignmentStates.length > 0
      ? user.licenseAssignmentStates
          .filter((s) => s.assignedByGroup === null)
          .map((s) => ({ skuId: s.skuId, disabledPlans: s.disabledPlans }))
      : user.assignedLicenses;
  const find = (skuId: string): AssignedLicense | undefined =>
    direct.find((l) => l.skuId.toLowerCase() === skuId.toLowerCase());
  const added = item.addLicenses.every((add) => {
    const held = find(add.skuId);
    return held !== undefined && sameIds(held.disabledPlans, add.disabledPlans);
  });
  return added && item.removeLicenses.every((skuId) => find(skuId) === undefined);
}
