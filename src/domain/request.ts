/**
 * Validation of a `POST /api/migrations` body. Every problem is reported (not just the first), each naming
 * the field as a JSON path ("moves[1].users.upns[3]") and saying in plain words what is expected.
 */
import { z } from 'zod';
import { parseIsoDuration } from './duration';
import { groupMoveProblems } from './request-groups';
import { notifyListSchema } from './notify';
import type { MigrationRequest, MoveRequest, UserSelector } from './types';
import { describeValue, problemsFromIssue, uniqueProblems, type ParseResult, type Problem } from './validation';
import { isGuid, isRecord } from './values';

export type { ParseResult, Problem } from './validation';

export const MAX_MOVES = 50;
export const MAX_USERS_PER_LIST = 100_000;
/** Graph allows a UPN of at most 113 characters, of which at most 64 before the '@'. */
export const MAX_UPN_LENGTH = 113;
const MAX_UPN_LOCAL_LENGTH = 64;
const MAX_WAIT_MS = 30 * 24 * 60 * 60 * 1000;

export const PART_NUMBER_PATTERN = /^[A-Za-z0-9_]{1,64}$/;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** An instant, not a local time: the time zone (Z or ±hh:mm) is required so waves end when the admin meant. */
const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

export const DEFAULTS = {
  mode: 'swap',
  strategy: 'atomic',
  approvalTimeout: 'P7D',
  waitTimeout: 'PT72H',
  pollInterval: 'PT1M',
  batchSize: 20,
  maxFailureRate: 0.2,
} as const;

/**
 * Local part: letters and digits of any script plus the symbols Entra accepts (' . - _ ! # ^ ~ + & $ % * / = ? { } |),
 * which covers guests' "name_fabrikam.com#EXT#". Spaces, control characters, quotes, parentheses, commas,
 * semicolons, colons, angle and square brackets and backslashes can never be part of a UPN.
 */
const UPN_LOCAL = /^[\p{L}\p{M}\p{N}'._\-!#^~+&$%*/=?{}|`]+$/u;
const DOMAIN_LABEL = /^[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?$/u;

/** Why a string is not a plausible user principal name, or undefined when it is one. */
export function upnProblem(upn: string): string | undefined {
  if (upn.length === 0) return 'is empty; expected a user principal name such as adele@contoso.com';
  if (upn.length > MAX_UPN_LENGTH) return `is ${upn.length} characters long; a UPN has at most ${MAX_UPN_LENGTH}`;
  const at = upn.lastIndexOf('@');
  if (at <= 0 || at === upn.length - 1 || upn.indexOf('@') !== at) {
    return `"${upn}" is not a user principal name: expected exactly one '@' between a name and a domain (adele@contoso.com)`;
  }
  const local = upn.slice(0, at);
  const domain = upn.slice(at + 1);
  const isGuest = local.toUpperCase().includes('#EXT#');
  // Guests' local parts are built by Entra from their whole external address, so only the overall limit applies.
  if (!isGuest && local.length > MAX_UPN_LOCAL_LENGTH) {
    return `"${upn}" has ${local.length} characters before the '@'; at most ${MAX_UPN_LOCAL_LENGTH} are allowed`;
  }
  if (!UPN_LOCAL.test(local)) {
    return `"${upn}" contains characters a user principal name cannot have (spaces, control characters, quotes, parentheses, commas, semicolons, brackets or backslashes)`;
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return `"${upn}" has a '.' at the start or end of the name, or two in a row`;
  }
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => label.length <= 63 && DOMAIN_LABEL.test(label))) {
    return `"${upn}" does not end in a valid domain name such as contoso.com`;
  }
  return undefined;
}

const guid = (what: string) => z.guid({ error: `must be a GUID (${what}), like 00000000-0000-0000-0000-000000000000` });

const skuRef = z.string().refine((value) => isGuid(value) || PART_NUMBER_PATTERN.test(value), {
  error: 'must be a SKU id (GUID) or a part number such as O365_BUSINESS_PREMIUM (letters, digits, _; at most 64)',
});

const planRef = z.string().refine((value) => isGuid(value) || PART_NUMBER_PATTERN.test(value), {
  error: 'must be a service plan id (GUID) or a plan name such as SWAY (letters, digits, _; at most 64)',
});

const isoDuration = z.string().superRefine((value, context) => {
  try {
    if (parseIsoDuration(value) <= 0) context.addIssue({ code: 'custom', message: 'must be longer than zero' });
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const upn = z.string().superRefine((value, context) => {
  const problem = upnProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

const listOf = <T extends z.ZodType>(item: T, noun: string) =>
  z
    .array(item)
    .min(1, { error: `must list at least one ${noun}` })
    .max(MAX_USERS_PER_LIST, { error: `lists more than ${MAX_USERS_PER_LIST} ${noun}s; split the migration` });

// Every selector key is optional here; "exactly one" is checked afterwards so that it is reported even when
// another field of the body is also wrong.
const usersSchema = z.strictObject({
  all: z.literal(true, { error: 'must be true (to choose some users, use upns, ids or groupId)' }).optional(),
  upns: listOf(upn, 'user principal name').optional(),
  ids: listOf(guid('a user object id'), 'user id').optional(),
  groupId: guid('a group object id').optional(),
});

const moveSchema = z.strictObject({
  from: skuRef.optional(),
  to: skuRef,
  // Required unless the move changes a group's product (checked with the other cross-field rules).
  users: usersSchema.optional(),
  disabledPlans: z.array(planRef).max(200, { error: 'lists more than 200 plans' }).default([]),
  keepDisabledPlans: z.boolean().default(true),
  group: guid('the object id of the licensing group whose product changes').optional(),
  assignVia: z.strictObject({ group: guid('the object id of the group that assigns the target') }).optional(),
  sourceGroups: z.enum(['block', 'leave']).optional(),
});

export const requestSchema = z.strictObject({
  id: z
    .string()
    .regex(ID_PATTERN, { error: 'must start with a letter or digit and have at most 64 letters, digits, _ or -' })
    .optional(),
  tenantId: guid('the id of a registered tenant (GET /api/tenants); leave it out for the home tenant').optional(),
  moves: z
    .array(moveSchema)
    .min(1, { error: 'must contain at least one move' })
    .max(MAX_MOVES, { error: `must contain at most ${MAX_MOVES} moves` }),
  mode: z.enum(['swap', 'replace']).default(DEFAULTS.mode),
  strategy: z.enum(['atomic', 'overlap']).default(DEFAULTS.strategy),
  dryRun: z.boolean().default(false),
  requireApproval: z.boolean().default(false),
  approvalTimeout: isoDuration.default(DEFAULTS.approvalTimeout),
  acknowledgeDataLoss: z.boolean().default(false),
  usageLocation: z
    .string()
    .regex(/^[A-Za-z]{2}$/, { error: 'must be a two-letter ISO 3166-1 country code such as US or GB' })
    .transform((value) => value.toUpperCase())
    .optional(),
  includeDisabledUsers: z.boolean().default(false),
  waitForLicenses: z
    .strictObject({
      timeout: isoDuration.default(DEFAULTS.waitTimeout),
      pollInterval: isoDuration.default(DEFAULTS.pollInterval),
    })
    .default({ timeout: DEFAULTS.waitTimeout, pollInterval: DEFAULTS.pollInterval }),
  batchSize: z
    .number()
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(20, { error: 'must be at most 20 (a Graph $batch holds at most 20 requests)' })
    .default(DEFAULTS.batchSize),
  maxFailureRate: z
    .number()
    .min(0, { error: 'must be between 0 and 1' })
    .max(1, { error: 'must be between 0 and 1' })
    .default(DEFAULTS.maxFailureRate),
  maxUsers: z.number().int({ error: 'must be a whole number' }).positive({ error: 'must be at least 1' }).optional(),
  notAfter: z
    .string()
    .refine((value) => INSTANT_PATTERN.test(value) && !Number.isNaN(Date.parse(value)), {
      error: 'must be an ISO 8601 date and time with a time zone, such as 2026-11-28T06:00:00Z',
    })
    .optional(),
  notify: notifyListSchema.optional(),
  approvers: z
    .array(
      z.string().refine((value) => isGuid(value) || upnProblem(value) === undefined, {
        error: 'must be a user principal name (alice@contoso.com) or an Entra group object id (GUID)',
      }),
    )
    .min(1, { error: 'must name at least one approver (leave the field out for no restriction)' })
    .max(50, { error: 'lists more than 50 approvers; use an Entra group' })
    .optional(),
  requireDifferentApprover: z.boolean().optional(),
});

/** Validates a request body (already JSON-parsed) and applies defaults. Never throws. */
export function parseMigrationRequest(body: unknown): ParseResult<MigrationRequest> {
  const problems: Problem[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ field: 'body', message: `expected a JSON object, got ${describeValue(body)}` }] };
  }
  const parsed = requestSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...problemsFromIssue(issue));
  }
  problems.push(...crossFieldProblems(body as Record<string, unknown>));
  if (problems.length > 0 || !parsed.success) return { ok: false, problems: uniqueProblems(problems) };
  return { ok: true, value: toMigrationRequest(parsed.data) };
}

type ParsedRequest = z.output<typeof requestSchema>;

function toMigrationRequest(data: ParsedRequest): MigrationRequest {
  const moves: MoveRequest[] = data.moves.map((move) => {
    // A group's product change reaches the group's members: they are its users.
    const group = move.group?.toLowerCase();
    const result: MoveRequest = {
      to: move.to,
      users: move.users ? toSelector(move.users) : { groupId: group ?? '' },
      disabledPlans: move.disabledPlans,
      keepDisabledPlans: move.keepDisabledPlans,
    };
    if (move.from !== undefined) result.from = move.from;
    if (group !== undefined) result.group = group;
    if (move.assignVia !== undefined) {
      result.assignVia = { group: move.assignVia.group.toLowerCase() };
      result.sourceGroups = move.sourceGroups ?? 'block';
    }
    return result;
  });
  const request: MigrationRequest = {
    moves,
    mode: data.mode,
    strategy: data.strategy,
    dryRun: data.dryRun,
    requireApproval: data.requireApproval,
    approvalTimeout: data.approvalTimeout,
    acknowledgeDataLoss: data.acknowledgeDataLoss,
    includeDisabledUsers: data.includeDisabledUsers,
    waitForLicenses: { timeout: data.waitForLicenses.timeout, pollInterval: data.waitForLicenses.pollInterval },
    batchSize: data.batchSize,
    maxFailureRate: data.maxFailureRate,
  };
  if (data.id !== undefined) request.id = data.id;
  if (data.tenantId !== undefined) request.tenantId = data.tenantId.toLowerCase();
  if (data.usageLocation !== undefined) request.usageLocation = data.usageLocation;
  if (data.maxUsers !== undefined) request.maxUsers = data.maxUsers;
  if (data.notAfter !== undefined) request.notAfter = data.notAfter;
  if (data.notify !== undefined) request.notify = data.notify.map((t) => ({ ...t, events: [...new Set(t.events)] }));
  if (data.approvers !== undefined) request.approvers = [...new Set(data.approvers.map((a) => a.toLowerCase()))];
  if (data.requireDifferentApprover !== undefined) request.requireDifferentApprover = data.requireDifferentApprover;
  return request;
}

function toSelector(users: z.output<typeof usersSchema>): UserSelector {
  if (users.upns) return { upns: users.upns };
  // Object ids are GUIDs: one spelling makes comparisons and Graph filters simple.
  if (users.ids) return { ids: users.ids.map((id) => id.toLowerCase()) };
  if (users.groupId) return { groupId: users.groupId.toLowerCase() };
  return { all: true };
}

const SELECTORS = ['all', 'upns', 'ids', 'groupId'] as const;

/** Rules spanning several fields, checked on the raw body so they are reported alongside type errors. */
function crossFieldProblems(body: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const mode = body.mode === 'replace' ? 'replace' : 'swap';
  const moves = Array.isArray(body.moves) ? body.moves : [];
  const seenUpns = new Map<string, string>();
  const seenIds = new Map<string, string>();
  moves.forEach((move: unknown, moveIndex) => {
    if (!isRecord(move)) return;
    const at = `moves[${moveIndex}]`;
    const viaGroups = move.group !== undefined || move.assignVia !== undefined;
    if (viaGroups) problems.push(...groupMoveProblems(move, at));
    if (move.from === undefined && mode === 'swap' && !viaGroups) {
      problems.push({
        field: `${at}.from`,
        message: "is required in swap mode (it names the license to remove); omit it only with mode: 'replace'",
      });
    }
    const conversion = move.assignVia !== undefined;
    if (typeof move.from === 'string' && typeof move.to === 'string' && sameRef(move.from, move.to) && !conversion) {
      problems.push({
        field: `${at}.to`,
        message: `is the same SKU as from ("${move.from}"); nothing would change (to move direct ${move.from} licenses into a group, add assignVia)`,
      });
    }
    const users = move.users;
    if (users === undefined && move.group === undefined && move.assignVia === undefined) {
      problems.push({
        field: `${at}.users`,
        message:
          'is required: give exactly one of { "all": true }, { "upns": [...] }, { "ids": [...] } or { "groupId": "..." } (or "group" to change a licensing group\'s product)',
      });
    }
    if (!isRecord(users)) return;
    const chosen = SELECTORS.filter((key) => users[key] !== undefined);
    if (chosen.length === 0) {
      problems.push({
        field: `${at}.users`,
        message:
          'chooses no users: give exactly one of { "all": true }, { "upns": [...] }, { "ids": [...] } or { "groupId": "..." }',
      });
    } else if (chosen.length > 1) {
      problems.push({
        field: `${at}.users`,
        message: `gives ${chosen.join(' and ')}; give exactly one of all, upns, ids or groupId`,
      });
    }
    if (users.all === true && move.from === undefined && mode === 'replace') {
      problems.push({
        field: `${at}.from`,
        message: 'is required with users { "all": true }: "all" means everyone who holds the from license',
      });
    }
    collectDuplicates(users.upns, `${at}.users.upns`, (upn) => upn.toLowerCase(), seenUpns, 'UPN', problems);
    collectDuplicates(users.ids, `${at}.users.ids`, (id) => id.toLowerCase(), seenIds, 'user id', problems);
  });
  problems.push(...requestWideGroupProblems(body, moves));
  const wait = isRecord(body.waitForLicenses) ? body.waitForLicenses : {};
  const timeoutText = typeof wait.timeout === 'string' ? wait.timeout : DEFAULTS.waitTimeout;
  const pollText = typeof wait.pollInterval === 'string' ? wait.pollInterval : DEFAULTS.pollInterval;
  const timeout = durationOrUndefined(timeoutText);
  const pollInterval = durationOrUndefined(pollText);
  if (timeout !== undefined && timeout > MAX_WAIT_MS) {
    problems.push({ field: 'waitForLicenses.timeout', message: `(${timeoutText}) must be at most P30D (30 days)` });
  }
  if (timeout !== undefined && pollInterval !== undefined && pollInterval > timeout) {
    problems.push({
      field: 'waitForLicenses.pollInterval',
      message: `(${pollText}) must not be longer than waitForLicenses.timeout (${timeoutText})`,
    });
  }
  return problems;
}

function collectDuplicates(
  list: unknown,
  path: string,
  key: (value: string) => string,
  seen: Map<string, string>,
  noun: string,
  problems: Problem[],
): void {
  if (!Array.isArray(list)) return;
  const moveOf = (place: string) => place.slice(0, place.indexOf(']') + 1);
  list.forEach((value: unknown, index) => {
    if (typeof value !== 'string') return;
    const place = `${path}[${index}]`;
    const normalised = key(value);
    const first = seen.get(normalised);
    if (first === undefined) {
      seen.set(normalised, place);
    } else if (moveOf(first) === moveOf(place)) {
      problems.push({
        field: place,
        message: `repeats ${noun} "${value}" already listed at ${first}; list each user once`,
      });
    } else {
      problems.push({
        field: place,
        message: `${noun} "${value}" is also in ${first}; a user may appear in only one move`,
      });
    }
  });
}

/** Rules about group moves that span moves: a group changes product once, and maxUsers cannot split a group. */
function requestWideGroupProblems(body: Record<string, unknown>, moves: unknown[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  moves.forEach((move: unknown, index) => {
    if (!isRecord(move) || typeof move.group !== 'string') return;
    const first = seen.get(move.group.toLowerCase());
    if (first === undefined) seen.set(move.group.toLowerCase(), index);
    else {
      problems.push({
        field: `moves[${index}].group`,
        message: `changes group ${move.group} again (moves[${first}] already does); a group changes product once per run`,
      });
    }
  });
  if (body.maxUsers !== undefined && seen.size > 0) {
    problems.push({
      field: 'maxUsers',
      message:
        "cannot be used with a group's product change (moves[].group): all of a group's members follow its product, so the run cannot stop after some of them",
    });
  }
  return problems;
}

function durationOrUndefined(text: string): number | undefined {
  try {
    return parseIsoDuration(text);
  } catch {
    return undefined; // already reported by the schema
  }
}

function sameRef(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
