import { requiredAppRoles } from '../../src/graph/permissions';
import { findUnlicensedGaps, generateScenario } from '../../emulators/graph';
import { licenseChangeCount, licenseWritesPerUser, SKU, snapshotUsers } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';

const E1_TO_E3 = (ids: string[]) => ({ moves: [{ from: 'STANDARDPACK', to: 'ENTERPRISEPACK', users: { ids } }] });

describe('approval, cancel, idempotency and resilience', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  const e1Ids = (s: Stack): string[] =>
    [...snapshotUsers(s.sim).values()].filter((u) => u.skus.includes(SKU.o365E1)).map((u) => u.id);

  it('waits for approval, records who approved, then proceeds', async () => {
    stack = await startStack();
    stack.host.clock.setAutoAdvance(false);
    const start = await stack.api('POST', '/api/migrations', { ...E1_TO_E3(e1Ids(stack)), requireApproval: true });
    await stack.waitForMigration(start.json.id, (view) => view.status === 'awaitingApproval');
    expect(licenseChangeCount(stack.sim)).toBe(0);
    const approve = await stack.api('POST', `/api/migrations/${start.json.id}/approve`, {
      by: 'alice@contoso.com',
      reason: 'CAB-1234',
    });
    expect(approve.status).toBe(202);
    stack.host.clock.setAutoAdvance(true);
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('completed');
    expect(done.message).toMatch(/moved/);
    expect(licenseChangeCount(stack.sim)).toBe(2);
  });

  it('ends rejected on reject, with who and why, changing nobody', async () => {
    stack = await startStack();
    stack.host.clock.setAutoAdvance(false);
    const start = await stack.api('POST', '/api/migrations', { ...E1_TO_E3(e1Ids(stack)), requireApproval: true });
    await stack.waitForMigration(start.json.id, (view) => view.status === 'awaitingApproval');
    await stack.api('POST', `/api/migrations/${start.json.id}/reject`, {
      by: 'bob@contoso.com',
      reason: 'not this week',
    });
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('rejected');
    expect(done.message).toBe('Rejected by bob@contoso.com: not this week. Nothing was changed.');
    expect(licenseChangeCount(stack.sim)).toBe(0);
  });

  it('ends without change when nobody approves in time', async () => {
    stack = await startStack();
    const start = await stack.api('POST', '/api/migrations', {
      ...E1_TO_E3(e1Ids(stack)),
      requireApproval: true,
      approvalTimeout: 'P2D',
    });
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('cancelled');
    expect(done.message).toMatch(/No approval within 2 d/);
    expect(licenseChangeCount(stack.sim)).toBe(0);
    const approveLate = await stack.api('POST', `/api/migrations/${start.json.id}/approve`);
    expect(approveLate.status).toBe(409);
  });

  it('returns the existing run for the same id, and a rerun of a finished migration skips everyone', async () => {
    stack = await startStack();
    const ids = e1Ids(stack);
    const body = { ...E1_TO_E3(ids), id: 'wave-2026-11-e1' };
    const first = await stack.api('POST', '/api/migrations', body);
    const second = await stack.api('POST', '/api/migrations', body);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.json).toEqual(expect.objectContaining({ id: 'wave-2026-11-e1', created: false }));
    await stack.waitForFinish('wave-2026-11-e1');
    const list = await stack.api('GET', '/api/migrations');
    const migrations = list.json.migrations as { id: string }[];
    expect(migrations.filter((m) => m.id === 'wave-2026-11-e1')).toHaveLength(1);
    expect(licenseChangeCount(stack.sim)).toBe(2);

    const rerun = await stack.api('POST', '/api/migrations', { ...body, id: undefined });
    const rerunDone = await stack.waitForFinish(rerun.json.id);
    expect(rerunDone.status).toBe('completed');
    expect(rerunDone.counts.moved).toBe(0);
    expect(licenseChangeCount(stack.sim)).toBe(2);
    const report = await stack.api('GET', `/api/migrations/${rerun.json.id}/report`);
    const rows = report.json.rows as { outcome: string }[];
    expect(rows.every((row) => row.outcome === 'skipped' || row.outcome === 'blocked')).toBe(true);
  });

  it('cancel stops before the next batch and leaves a consistent report', async () => {
    stack = await startStack({
      simulator: { scenario: generateScenario({ users: 2_000, seed: 3 }), latency: 'realistic' },
      // 40 writes/s: one round of 8 activities × 5 batches × 10 users takes about 10 s, so the cancel lands mid-run.
      env: { GRAPH_WRITE_BUDGET: '6000' },
    });
    const to = SKU.businessPremium;
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      usageLocation: 'US',
      batchSize: 10,
    });
    await stack.waitForMigration(start.json.id, (view) => view.status === 'reassigning');
    while (licenseChangeCount(stack.sim) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const cancel = await stack.api('POST', `/api/migrations/${start.json.id}/cancel`, { by: 'ops' });
    expect(cancel.status).toBe(202);
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('cancelled');
    const report = await stack.api('GET', `/api/migrations/${start.json.id}/report`);
    const rows = report.json.rows as { userId: string; outcome: string }[];
    const moved = rows.filter((row) => row.outcome === 'moved');
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.length).toBeLessThan(done.counts.toChange);
    // The report matches the tenant: moved users hold the target, the others still hold the source.
    const after = snapshotUsers(stack.sim);
    for (const row of rows) {
      const user = after.get(row.userId);
      if (!user) continue;
      if (row.outcome === 'moved') expect(user.skus).toContain(to);
      else expect(user.skus).not.toContain(to);
    }
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
  }, 120_000);

  it('reports each user Graph refuses with code and request-id, and stops at the failure budget', async () => {
    stack = await startStack();
    stack.sim.setSkuSeats('SPB', 60);
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      requireApproval: true,
    });
    await stack.waitForMigration(start.json.id, (view) => view.status === 'awaitingApproval');
    // The app loses its license permission after planning checked it: every assignLicense is refused.
    const revoked = requiredAppRoles(['usageLocation']).filter(
      (role) => role !== 'LicenseAssignment.ReadWrite.All' && role !== 'User.ReadWrite.All',
    );
    const grant = await fetch(`${stack.sim.controlUrl}/permissions`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appRoles: revoked }),
    });
    expect(grant.ok).toBe(true);
    await stack.api('POST', `/api/migrations/${start.json.id}/approve`, { by: 'ops' });
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('needsAttention');
    expect(done.message).toMatch(/Stopped starting new batches: 25 of 25 changes failed, over the allowed 20 %/);
    const report = await stack.api('GET', `/api/migrations/${start.json.id}/report`);
    const failed = (
      report.json.rows as {
        outcome: string;
        reason: string;
        errorClass: string;
        requestId?: string;
        graphErrorCode?: string;
      }[]
    ).filter((row) => row.outcome === 'failed');
    expect(failed).toHaveLength(25);
    for (const row of failed) {
      expect(row.errorClass).toBe('permanent');
      expect(row.reason).toMatch(/LicenseAssignment\.ReadWrite\.All/);
      expect(row.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.graphErrorCode).toBeTruthy();
    }
    expect(licenseChangeCount(stack.sim)).toBe(0);
  });

  it('stops starting batches when its window closes and reports who waits for the next one', async () => {
    stack = await startStack({
      clock: 'real',
      simulator: { scenario: generateScenario({ users: 2_000, seed: 5 }), latency: 'realistic' },
      // 40 writes/s: the first round of activities (400 users) takes about 10 s, well past the window's end.
      env: { GRAPH_WRITE_BUDGET: '6000' },
    });
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      usageLocation: 'US',
      batchSize: 10,
      notAfter: new Date(stack.host.clock.now() + 3_000).toISOString(),
    });
    expect(start.status).toBe(202);
    const done = await stack.waitForFinish(start.json.id, 110_000);
    expect(done.status).toBe('completed');
    expect(done.message).toMatch(/The window closed: \d+ users wait for the next one/);
    expect(done.counts.moved).toBeGreaterThan(0);
    expect(done.counts.moved).toBeLessThan(done.counts.toChange);
    expect(done.remaining).toBe(done.counts.toChange - done.counts.moved - done.counts.failed);
    expect(licenseChangeCount(stack.sim)).toBe(done.counts.moved);
  }, 120_000);

  it('rides out 429 storms and 503s: every user ends correct and no write is doubled', async () => {
    stack = await startStack();
    stack.sim.setSkuSeats('SPB', 60);
    stack.sim.setFaults([
      { kind: 'error', status: 429, retryAfterSeconds: 2, path: '/assignLicense', probability: 0.4 },
      { kind: 'error', status: 503, path: '/assignLicense', probability: 0.2 },
      { kind: 'error', status: 503, path: '$batch', probability: 0.2 },
    ]);
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
    });
    const done = await stack.waitForFinish(start.json.id, 120_000);
    expect(done.status).toBe('completed');
    expect(done.counts.moved).toBe(25);
    const writes = licenseWritesPerUser(stack.sim);
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
    expect(writes.size).toBe(25);
    const throttled = stack.sim.events().filter((event) => event.kind === 'request' && event.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
  });
});
