/**
 * planMigration (src/activities/plan.ts): resolve the SKUs and users, decide per user, store the plan (waves of
 * batches, and the users who need no change), and return only its summary.
 */
import type { PlannedUser } from '../../src/domain/types';
import type { PlanOutcome } from '../../src/domain/workflow';
import { TelemetryEvents } from '../../src/telemetry';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD, direct, GROUP_A, inherited, O365_E3 } from '../domain/fixtures';
import {
  FIXED,
  PREMIUM,
  STANDARD,
  standardToPremium,
  standardUsers,
  tenantUser,
  world,
  type World,
} from './support/world';

type Plan = Extract<PlanOutcome, { ok: true }>;

function expectPlan(outcome: PlanOutcome): Plan {
  if (!outcome.ok) throw new Error(`expected a plan, got: ${outcome.reason}`);
  return outcome;
}

const decisions = (users: PlannedUser[]) => users.map((user) => [user.userPrincipalName, user.decision.kind]);

/**
 * 25 users to move, plus one already on Premium (Standard only from a group), one disabled account and one whose
 * Standard comes from a group: all 28 hold Business Standard.
 */
function tenantOf28(): World {
  return world({
    users: [
      ...standardUsers(25),
      tenantUser(26, [STANDARD, PREMIUM], {
        licenseAssignmentStates: [inherited(STANDARD), direct(PREMIUM)],
      }),
      tenantUser(27, [STANDARD], { accountEnabled: false }),
      tenantUser(28, [STANDARD], { licenseAssignmentStates: [inherited(STANDARD)] }),
    ],
  });
}

describe('planMigration', () => {
  it('stores the users to change in batches and waves, the others apart, and returns the summary', async () => {
    const w = tenantOf28();
    await w.request({ moves: [standardToPremium({ all: true })], batchSize: 10 });
    const plan = expectPlan(await w.activities.planMigration(w.migrationId, w.log));

    expect(plan.summary).toMatchObject({
      planRef: `migrations/${w.migrationId}/plan.json`,
      total: 28,
      toChange: 25,
      skipped: 1,
      blocked: 2,
      seatsNeeded: { [BUSINESS_PREMIUM.skuId]: 25 },
      batchCount: 3,
      needsDataLossAcknowledgement: false,
    });
    expect(plan.waves).toEqual([{ wave: 0, firstBatch: 0, batchCount: 3, users: 25 }]);
    expect(plan.remaining).toBe(0);

    const stored = await w.docs.plan();
    expect(stored).toMatchObject({ waves: plan.waves, remaining: 0, plannedAt: new Date(FIXED).toISOString() });
    expect(stored?.summary).toEqual(plan.summary);
    const batches = await w.docs.wave(0);
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(batches.flat().every((user) => user.decision.kind === 'change')).toBe(true);
    const unchanged = await w.docs.unchanged(stored?.unchangedParts ?? 0);
    expect(decisions(unchanged)).toEqual([
      ['user26@contoso.com', 'skip'],
      ['user27@contoso.com', 'blocked'],
      ['user28@contoso.com', 'blocked'],
    ]);
    // Planning reads; it never writes to the tenant.
    expect(w.graph.writes()).toEqual([]);
  });

  it('sends Migration.Started with the plan counts and where the run came from', async () => {
    const w = tenantOf28();
    await w.request(
      { moves: [standardToPremium({ all: true })], strategy: 'overlap' },
      { origin: 'schedule', scheduleName: 'weekend-waves' },
    );
    await w.activities.planMigration(w.migrationId, w.log);
    expect(w.telemetry.named(TelemetryEvents.MigrationStarted)).toEqual([
      {
        migrationId: w.migrationId,
        tenantId: w.tenantId,
        origin: 'schedule',
        scheduleName: 'weekend-waves',
        moves: 1,
        total: 28,
        toChange: 25,
        skipped: 1,
        blocked: 2,
        dryRun: false,
        mode: 'swap',
        strategy: 'overlap',
      },
    ]);
  });

  it('waits (does not fail) for a target named by id that the tenant does not list yet', async () => {
    const w = world({
      skus: [BUSINESS_STANDARD],
      users: standardUsers(3),
    });
    await w.request({ moves: [standardToPremium({ all: true }, { to: BUSINESS_PREMIUM.skuId.toUpperCase() })] });
    const outcome = await w.activities.planMigration(w.migrationId, w.log);
    expect(outcome).toEqual({
      ok: false,
      missingTargets: [BUSINESS_PREMIUM.skuId],
      reason: `the target subscription ${BUSINESS_PREMIUM.skuId} is not in this tenant: buy it for this organisation (the same tenant as the users) in the Microsoft 365 admin center (https://admin.microsoft.com/#/subscriptions)`,
    });
    expect(await w.docs.plan()).toBeUndefined();
    expect(w.telemetry.events).toEqual([]);
  });

  it('fails at once for a part number the tenant does not have, listing the SKUs it has', async () => {
    const w = world({ skus: [BUSINESS_STANDARD, BUSINESS_PREMIUM], users: standardUsers(3) });
    await w.request({ moves: [standardToPremium({ all: true }, { to: 'SPB_TYPO' })] });
    const outcome = await w.activities.planMigration(w.migrationId, w.log);
    expect(outcome.ok).toBe(false);
    expect(outcome).not.toHaveProperty('missingTargets');
    const reason = outcome.ok ? '' : outcome.reason;
    expect(reason).toMatch(/^The request names SKUs or plans this tenant does not have: moves\[0\]\.to /);
    expect(reason).toContain('"SPB_TYPO"');
    expect(reason).toContain(
      `This tenant has: O365_BUSINESS_PREMIUM (${BUSINESS_STANDARD.skuId}), SPB (${BUSINESS_PREMIUM.skuId}).`,
    );
  });

  it('fails naming the group when the group does not exist, and plans its members when it does', async () => {
    const missing = world({ users: standardUsers(3) });
    await missing.request({ moves: [standardToPremium({ groupId: GROUP_A })] });
    const outcome = await missing.activities.planMigration(missing.migrationId, missing.log);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : outcome.reason).toMatch(
      new RegExp(
        `^moves\\[0\\]\\.users: there is no group ${GROUP_A} in this tenant \\(Request_ResourceNotFound, request-id [0-9a-f-]{36}\\)$`,
      ),
    );

    const found = world({ users: standardUsers(5), groups: { [GROUP_A]: standardUsers(2, 2).map((user) => user.id) } });
    await found.request({ moves: [standardToPremium({ groupId: GROUP_A })] });
    const plan = expectPlan(await found.activities.planMigration(found.migrationId, found.log));
    expect(plan.summary.toChange).toBe(2);
    expect((await found.docs.wave(0)).flat().map((user) => user.userPrincipalName)).toEqual([
      'user2@contoso.com',
      'user3@contoso.com',
    ]);
  });

  it('moves at most maxUsers users and leaves the rest for a later run', async () => {
    const w = world({ users: standardUsers(25) });
    await w.request({ moves: [standardToPremium({ all: true })], maxUsers: 10 });
    const plan = expectPlan(await w.activities.planMigration(w.migrationId, w.log));
    expect(plan.summary).toMatchObject({ total: 25, toChange: 10, skipped: 15 });
    expect(plan.summary.seatsNeeded).toEqual({ [BUSINESS_PREMIUM.skuId]: 10 });
    expect(plan.remaining).toBe(15);
    expect(plan.waves).toEqual([{ wave: 0, firstBatch: 0, batchCount: 1, users: 10 }]);
    const unchanged = await w.docs.unchanged((await w.docs.plan())?.unchangedParts ?? 0);
    expect(unchanged).toHaveLength(15);
    expect(unchanged[0]?.decision).toEqual({
      kind: 'skip',
      reason: 'left for a later run: this run moves at most 10 users',
    });
  });

  it('moves a user selected by two moves once, by the first move that selects them', async () => {
    const users = standardUsers(3);
    const w = world({ users });
    await w.request({
      moves: [
        standardToPremium({ ids: [users[0]!.id, users[1]!.id] }),
        standardToPremium(
          { upns: ['user2@contoso.com', 'user3@contoso.com', 'nobody@contoso.com'] },
          { to: 'ENTERPRISEPACK' },
        ),
      ],
    });
    const plan = expectPlan(await w.activities.planMigration(w.migrationId, w.log));
    expect(plan.summary).toMatchObject({ total: 5, toChange: 3, skipped: 1, blocked: 1 });
    expect(plan.summary.seatsNeeded).toEqual({ [BUSINESS_PREMIUM.skuId]: 2, [O365_E3.skuId]: 1 });
    const changes = (await w.docs.wave(0)).flat();
    expect(changes.map((user) => [user.userPrincipalName, user.move])).toEqual([
      ['user1@contoso.com', 0],
      ['user2@contoso.com', 0],
      ['user3@contoso.com', 1],
    ]);
    const unchanged = await w.docs.unchanged(1);
    expect(unchanged.map((user) => [user.userPrincipalName, user.decision])).toEqual([
      ['nobody@contoso.com', expect.objectContaining({ kind: 'blocked', code: 'userNotFound' })],
      ['user2@contoso.com', { kind: 'skip', reason: 'also selected by move 1, which handles this user' }],
    ]);
  });

  it('fails when the migration has no stored request', async () => {
    const w = world();
    expect(await w.activities.planMigration(w.migrationId, w.log)).toEqual({
      ok: false,
      reason: `Migration ${w.migrationId} has no stored request.`,
    });
  });

  it('stops before anyone is touched when the identity may not assign licenses, naming the role', async () => {
    const w = world({ users: standardUsers(3) });
    w.graph.denyPermission('assignLicense');
    await w.request({ moves: [standardToPremium({ all: true })] });
    const outcome = await w.activities.planMigration(w.migrationId, w.log);
    expect(outcome).toEqual({
      ok: false,
      reason: expect.stringMatching(/LicenseAssignment\.ReadWrite\.All.*Nobody was changed/),
    });
    expect(w.graph.writes()).toEqual([]);
    expect(await w.docs.plan()).toBeUndefined();
  });

  it('stops when users need a usage location and the identity may not set one, saying what to do instead', async () => {
    const w = world({ users: [...standardUsers(2), tenantUser(3, [STANDARD], { usageLocation: null })] });
    w.graph.denyPermission('setUsageLocation');
    await w.request({ moves: [standardToPremium({ all: true })], usageLocation: 'US' });
    const outcome = await w.activities.planMigration(w.migrationId, w.log);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toMatch(
      /User\.ReadWrite\.All, to set the usage location of the 1 user who has none.*set those users' usage locations yourself/,
    );
    // The check for it changes nobody: it writes a user's own usage location back, a user who has one.
    const [check] = w.graph.callsTo('checkWriteAccess');
    expect(check?.checks).toContainEqual({
      operation: 'setUsageLocation',
      userId: standardUsers(1)[0]!.id,
      usageLocation: 'US',
    });
  });

  it('checks no permission for a dry run, which writes nothing', async () => {
    const w = world({ users: standardUsers(2) });
    w.graph.denyPermission('assignLicense');
    await w.request({ moves: [standardToPremium({ all: true })], dryRun: true });
    expect((await w.activities.planMigration(w.migrationId, w.log)).ok).toBe(true);
    expect(w.graph.callsTo('checkWriteAccess')).toEqual([]);
  });
});

describe('planning takes its run’s turns at the tenant’s gates', () => {
  it('every Graph read of the plan goes through the Graph bound to its run (graph.forRun)', async () => {
    const w = world({ users: standardUsers(3) });
    const bound: string[] = [];
    const callsBefore = w.graph.calls.length;
    Object.assign(w.graph, {
      forRun: (runId: string) => {
        bound.push(runId);
        return w.graph;
      },
    });
    await w.plan({ moves: [standardToPremium({ all: true })] });
    expect(bound).toEqual([w.migrationId]);
    expect(w.graph.calls.length).toBeGreaterThan(callsBefore);
  });
});
