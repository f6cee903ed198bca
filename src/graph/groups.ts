/**
 * Group-based licensing over Graph (issue #13): group reads, membership writes in paced `$batch` requests, and the
 * group's own `assignLicense`. Everything goes through the transport, so pacing, retries and classified errors are
 * the same as for user writes.
 *
 * Graph API reference: group resource, Get group, List members, List membersWithLicenseErrors, Add members
 * (`POST /groups/{id}/members/$ref`), Remove member (`DELETE /groups/{id}/members/{id}/$ref`), group: assignLicense.
 */
import type { GroupFacts } from '../domain/groups';
import type { AssignedLicense, UserLicenseSnapshot } from '../domain/types';
import { isRecord } from '../domain/values';
import {
  classifyGraphError,
  failureFromBody,
  GraphRequestError,
  type GraphErrorInfo,
  type GraphOperation,
} from './errors';
import { requireGuid } from './odata';
import { toAssignedLicenses, toSnapshot, USER_SELECT, type GraphReader } from './reads';
import { retryAfterMs, type GraphTransport } from './transport';
import type { RetryPolicy } from './types';

const GROUP_SELECT =
  'id,displayName,groupTypes,membershipRule,onPremisesSyncEnabled,isAssignableToRole,assignedLicenses,licenseProcessingState';
/** Graph's limit on requests per `$batch`. */
const BATCH_LIMIT = 20;

/** A group's direct members: users (with their license state) and nested groups (which pass no licenses on). */
export interface GroupMembers {
  users: UserLicenseSnapshot[];
  groups: { id: string }[];
}

export type MembershipOutcome = 'added' | 'alreadyMember' | 'removed' | 'notMember';

export type MembershipResult =
  { userId: string; ok: true; outcome: MembershipOutcome } | { userId: string; ok: false; error: GraphErrorInfo };

export interface MembershipWriteOptions {
  /** Stops sending; users not yet written come back as retryable `Cancelled` failures. */
  signal?: AbortSignal;
}

/** What the rest of the app asks of Graph about groups. */
export interface GroupLicensingGraph {
  /** The group, or undefined when there is no such group. */
  getGroup(groupId: string): Promise<GroupFacts | undefined>;
  /** Direct members (not transitive: nested groups do not inherit licenses). */
  listGroupMembers(groupId: string): Promise<GroupMembers>;
  /** Direct members whose assignment from this group is in error. */
  listMembersWithLicenseErrors(groupId: string): Promise<UserLicenseSnapshot[]>;
  /** Adds users; one that is a member already counts as done ("already exist" is not an error here). */
  addGroupMembers(groupId: string, userIds: string[], options?: MembershipWriteOptions): Promise<MembershipResult[]>;
  /** Removes users; one that is not a member counts as done. */
  removeGroupMembers(groupId: string, userIds: string[], options?: MembershipWriteOptions): Promise<MembershipResult[]>;
  /** The group's own licenses: Graph answers 202 and processes the members later. */
  assignGroupLicense(groupId: string, addLicenses: AssignedLicense[], removeLicenses: string[]): Promise<void>;
}

interface Pending {
  userId: string;
  tries: number;
  notBefore: number;
}

type BatchItem = { id: string; status: number; headers: Record<string, string>; body: unknown };

export class GroupGraph implements GroupLicensingGraph {
  constructor(
    private readonly transport: GraphTransport,
    private readonly reader: GraphReader,
    private readonly retry: RetryPolicy,
  ) {}

  async getGroup(groupId: string): Promise<GroupFacts | undefined> {
    const id = this.guid(groupId, 'groupId');
    try {
      const response = await this.transport.request({
        method: 'GET',
        path: `/groups/${id}?$select=${GROUP_SELECT}`,
        operation: 'readGroupMembers',
        resourceUnits: 1,
        writes: 0,
      });
      return isRecord(response.body) ? toGroupFacts(response.body) : undefined;
    } catch (error) {
      if (error instanceof GraphRequestError && error.info.status === 404) return undefined;
      throw error;
    }
  }

  async listGroupMembers(groupId: string): Promise<GroupMembers> {
    const id = this.guid(groupId, 'groupId');
    const rows = await this.reader.listAll(
      `/groups/${id}/members?$select=${USER_SELECT}&$top=999`,
      'readGroupMembers',
      3,
    );
    return {
      users: rows.filter((row) => row['@odata.type'] === '#microsoft.graph.user').map(toSnapshot),
      groups: rows
        .filter((row) => row['@odata.type'] === '#microsoft.graph.group')
        .map((row) => ({ id: String(row.id) })),
    };
  }

  async listMembersWithLicenseErrors(groupId: string): Promise<UserLicenseSnapshot[]> {
    const id = this.guid(groupId, 'groupId');
    const rows = await this.reader.listAll(
      `/groups/${id}/membersWithLicenseErrors?$select=${USER_SELECT}&$top=999`,
      'readGroupMembers',
      3,
    );
    return rows.filter((row) => row['@odata.type'] !== '#microsoft.graph.group').map(toSnapshot);
  }

  async assignGroupLicense(groupId: string, addLicenses: AssignedLicense[], removeLicenses: string[]): Promise<void> {
    const id = this.guid(groupId, 'groupId');
    const body = {
      addLicenses: addLicenses.map((license) => ({
        skuId: this.guid(license.skuId, 'skuId'),
        disabledPlans: license.disabledPlans.map((plan) => this.guid(plan, 'disabledPlans')),
      })),
      removeLicenses: removeLicenses.map((skuId) => this.guid(skuId, 'removeLicenses')),
    };
    // Sending the same change again leaves the group as asked, so a retry after an unknown outcome is safe.
    await this.transport.request({
      method: 'POST',
      path: `/groups/${id}/assignLicense`,
      body,
      operation: 'assignGroupLicense',
      resourceUnits: 1,
      writes: 1,
    });
  }

  addGroupMembers(
    groupId: string,
    userIds: string[],
    options: MembershipWriteOptions = {},
  ): Promise<MembershipResult[]> {
    const id = this.guid(groupId, 'groupId');
    return this.writeMemberships('addGroupMember', userIds, options, (userId) => ({
      method: 'POST',
      url: `/groups/${id}/members/$ref`,
      headers: { 'Content-Type': 'application/json' },
      body: { '@odata.id': `${this.transport.base}/directoryObjects/${userId}` },
    }));
  }

  removeGroupMembers(
    groupId: string,
    userIds: string[],
    options: MembershipWriteOptions = {},
  ): Promise<MembershipResult[]> {
    const id = this.guid(groupId, 'groupId');
    return this.writeMemberships('removeGroupMember', userIds, options, (userId) => ({
      method: 'DELETE',
      url: `/groups/${id}/members/${userId}/$ref`,
    }));
  }

  /**
   * Membership writes, 20 per `$batch`, each paced as one write. Both operations are idempotent in effect (adding a
   * member twice or removing a non-member changes nothing), so throttled, failed-dependency and 5xx items are simply
   * sent again after their Retry-After or a backoff; Graph's "already exist" and "not found" answers count as done.
   */
  private async writeMemberships(
    operation: 'addGroupMember' | 'removeGroupMember',
    userIds: string[],
    options: MembershipWriteOptions,
    request: (userId: string) => Record<string, unknown>,
  ): Promise<MembershipResult[]> {
    const results = new Map<string, MembershipResult>();
    const ids = [...new Set(userIds.map((userId) => userId.toLowerCase()))];
    let pending: Pending[] = [];
    for (const userId of ids) {
      try {
        pending.push({ userId: requireGuid(userId, 'userId'), tries: 0, notBefore: 0 });
      } catch (error) {
        results.set(userId, { userId, ok: false, error: invalidArgument(String((error as Error).message)) });
      }
    }
    while (pending.length > 0) {
      if (options.signal?.aborted) {
        for (const item of pending) results.set(item.userId, { userId: item.userId, ok: false, error: cancelled() });
        break;
      }
      const wait = Math.min(...pending.map((item) => item.notBefore)) - this.transport.clock.now();
      if (wait > 0) await this.transport.clock.sleep(wait);
      const ready = pending.filter((item) => item.notBefore <= this.transport.clock.now());
      const group = ready.slice(0, BATCH_LIMIT);
      if (group.length === 0) continue;
      const again = await this.sendMembershipBatch(operation, group, request, results);
      pending = [...pending.filter((item) => !group.includes(item)), ...again];
    }
    return userIds.map(
      (userId) =>
        results.get(userId.toLowerCase()) ?? { userId, ok: false, error: invalidArgument('no result was recorded') },
    );
  }

  /** One `$batch`; returns the items to send again. */
  private async sendMembershipBatch(
    operation: 'addGroupMember' | 'removeGroupMember',
    group: Pending[],
    request: (userId: string) => Record<string, unknown>,
    results: Map<string, MembershipResult>,
  ): Promise<Pending[]> {
    const requests = group.map((item, index) => ({ id: String(index + 1), ...request(item.userId) }));
    const exchange = await this.transport.request({
      method: 'POST',
      path: '/$batch',
      body: { requests },
      operation,
      resourceUnits: group.length,
      writes: group.length,
    });
    const answers = new Map<string, BatchItem>();
    const body = isRecord(exchange.body) ? exchange.body : {};
    for (const raw of Array.isArray(body.responses) ? (body.responses as unknown[]) : []) {
      if (!isRecord(raw)) continue;
      const headers: Record<string, string> = {};
      if (isRecord(raw.headers)) for (const [k, v] of Object.entries(raw.headers)) headers[k.toLowerCase()] = String(v);
      answers.set(String(raw.id), { id: String(raw.id), status: Number(raw.status), headers, body: raw.body });
    }
    const again: Pending[] = [];
    group.forEach((item, index) => {
      const answer = answers.get(String(index + 1));
      const verdict = answer ? this.verdict(operation, answer) : 'retry';
      if (verdict === 'retry') {
        item.tries += 1;
        const limit = answer?.status === 429 ? this.retry.maxThrottled : this.retry.maxTransientFailures;
        if (item.tries <= limit) {
          const delay = answer?.status === 429 ? this.retryAfter(answer) : this.transport.backoff(item.tries);
          item.notBefore = this.transport.clock.now() + delay;
          again.push(item);
          return;
        }
      }
      results.set(item.userId, this.result(operation, item.userId, verdict, answer));
    });
    return again;
  }

  private verdict(operation: GraphOperation, answer: BatchItem): MembershipOutcome | 'retry' | 'failed' {
    const { status } = answer;
    if (status >= 200 && status < 300) return operation === 'addGroupMember' ? 'added' : 'removed';
    if (status === 429 || status === 424 || status === 408 || status >= 500) return 'retry';
    const message = failureFromBody(status, answer.body, answer.headers).message;
    if (operation === 'addGroupMember' && status === 400 && /already exist/i.test(message)) return 'alreadyMember';
    // A member already gone answers 404 (the user is not in the members collection).
    if (operation === 'removeGroupMember' && status === 404) return 'notMember';
    return 'failed';
  }

  private result(
    operation: GraphOperation,
    userId: string,
    verdict: MembershipOutcome | 'retry' | 'failed',
    answer: BatchItem | undefined,
  ): MembershipResult {
    if (verdict !== 'retry' && verdict !== 'failed') return { userId, ok: true, outcome: verdict };
    const raw = answer
      ? failureFromBody(answer.status, answer.body, answer.headers)
      : { status: 0, code: 'MissingBatchResponse', message: 'The $batch answer had no response for this request.' };
    const error = classifyGraphError(raw, operation);
    if (raw.status === 403) {
      // Graph answers 403 for a dynamic or role-assignable group too, not only for a missing role.
      error.reason = `Graph refused to change this group's members (403): the app lacks ${error.missingPermission ?? 'the permission'}, or the group is dynamic or role-assignable.`;
    }
    return { userId, ok: false, error };
  }

  private retryAfter(answer: BatchItem): number {
    return retryAfterMs(answer.headers, this.retry.defaultRetryAfterMs, this.transport.clock.now());
  }

  private guid(value: string, what: string): string {
    try {
      return requireGuid(value, what);
    } catch (error) {
      throw new GraphRequestError(invalidArgument((error as Error).message));
    }
  }
}

function toGroupFacts(row: Record<string, unknown>): GroupFacts {
  const processing = row.licenseProcessingState;
  const state = isRecord(processing) ? processing.state : processing;
  return {
    id: String(row.id),
    displayName: typeof row.displayName === 'string' ? row.displayName : '',
    groupTypes: Array.isArray(row.groupTypes) ? (row.groupTypes as unknown[]).map(String) : [],
    membershipRule: typeof row.membershipRule === 'string' ? row.membershipRule : null,
    onPremisesSyncEnabled: typeof row.onPremisesSyncEnabled === 'boolean' ? row.onPremisesSyncEnabled : null,
    isAssignableToRole: row.isAssignableToRole === true,
    assignedLicenses: toAssignedLicenses(row.assignedLicenses),
    // Older payloads give the state as a string, newer ones as { state }.
    licenseProcessingState: typeof state === 'string' ? state : null,
  };
}

function invalidArgument(message: string): GraphErrorInfo {
  return {
    errorClass: 'permanent',
    status: 400,
    code: 'InvalidArgument',
    message,
    reason: `The group change is malformed: ${message}`,
    action: 'Fix the plan that produced it; nothing was sent to Graph.',
  };
}

function cancelled(): GraphErrorInfo {
  return {
    errorClass: 'retryable',
    status: 0,
    code: 'Cancelled',
    message: 'The operation was cancelled.',
    reason: 'Cancelled before this membership was changed.',
    action: 'Run the migration again; nothing was written for this user.',
  };
}
