import { findUnlicensedGaps, generateScenario } from '../../emulators/graph';
import { startStack, type Stack } from '../support/e2e';

const ALL_TO_PREMIUM = {
  moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
  usageLocation: 'US',
};

describe('retry failed only (local runtime + Graph simulator, realistic profile + Azurite)', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack?.stop();
  });

  it('retries the 30 users whose writes failed, once their cause is removed: only those 30 are written to', async () => {
    stack = await startStack({ simulator: { scenario: generateScenario({ users: 400, seed: 21 }) } });
    const standard = stack.sim.tenant.findSku('O365_BUSINESS_PREMIUM')!.skuId;
    const movable = [...stack.sim.tenant.users.values()].filter(
      (user) =>
        user.accountEnabled &&
        user.usageLocation &&
        user.licenseStates.some((state) => state.skuId === standard && state.assignedByGroup === null) &&
        !user.licenseStates.some((state) => state.assignedByGroup !== null),
    );
    // Graph refuses every write to 30 of them (a scripted fault, standing in for whatever keeps their change from
    // landing); the rest move.
    const refused = movable.slice(10, 40).map((user) => user.id);
    const faults = await fetch(`${stack.sim.controlUrl}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        refused.map((user) => ({ kind: 'error', status: 400, method: 'POST', path: '/assignLicense', user })),
      ),
    });
    expect(faults.ok).toBe(true);
    const start = await stack.api('POST', '/api/migrations', ALL_TO_PREMIUM);
    const original = await stack.waitForFinish(start.json.id, 240_000);
    expect(original.status).toBe('completedWithErrors');
    expect(original.counts.failed).toBe(30);
    expect(original.actions).toEqual(expect.arrayContaining(['rollback', 'retry']));

    // The cause is removed (control API); the retry re-plans the 30 from fresh reads and writes to them only.
    expect((await fetch(`${stack.sim.controlUrl}/faults`, { method: 'DELETE' })).ok).toBe(true);
    const lastSeq = stack.sim.events().at(-1)?.seq ?? 0;
    const retry = await stack.api('POST', `/api/migrations/${original.id}/retry`, {});
    expect(retry.status).toBe(202);
    expect(retry.json.retryOf).toBe(original.id);
    const done = await stack.waitForFinish(retry.json.id, 240_000);
    expect(done).toEqual(expect.objectContaining({ status: 'completed', retryOf: original.id }));
    // Planned from the original's failed users, plus those blocked for a reason that may have been fixed.
    expect(done.counts.moved).toBe(30);
    const since = stack.sim.events().filter((event) => event.seq > lastSeq);
    const changed = since.flatMap((event) => (event.kind === 'license' ? [event.userId] : []));
    expect([...changed].sort()).toEqual([...refused].sort());
    const assignTargets = since.flatMap((event) =>
      event.kind === 'request' && event.method === 'POST' && event.status < 300
        ? [/\/users\/([^/]+)\/assignLicense/.exec(event.path)?.[1]].filter((id): id is string => id !== undefined)
        : [],
    );
    // Besides the 30, at most the planning's permission probe: one assignLicense that adds and removes nothing.
    const others = assignTargets.filter((id) => !refused.includes(id));
    expect(others.length).toBeLessThanOrEqual(1);
    expect(findUnlicensedGaps(stack.sim.events())).toEqual([]);
    const originalView = await stack.api('GET', `/api/migrations/${original.id}`);
    expect(originalView.json.retriedBy).toEqual([retry.json.id]);

    // The retry's other users are those still blocked for a fixable reason (a disabled account, say): untouched.
    expect(done.counts.failed).toBe(0);
    expect(done.counts.total).toBe(30 + done.counts.blocked + done.counts.skipped);
  }, 600_000);

  it('refuses a retry while the original runs, names a bad override field, and takes overrides of the original options', async () => {
    stack = await startStack();
    stack.host.clock.setAutoAdvance(false);
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
      requireApproval: true,
    });
    await stack.waitForMigration(start.json.id, (view) => view.status === 'awaitingApproval');
    const early = await stack.api('POST', `/api/migrations/${start.json.id}/retry`, {});
    expect(early.status).toBe(409);
    const earlyRollback = await stack.api('POST', `/api/migrations/${start.json.id}/rollback`, {});
    expect(earlyRollback.status).toBe(409);
    expect(earlyRollback.json.detail).toMatch(/awaitingApproval/);
    await stack.api('POST', `/api/migrations/${start.json.id}/reject`, { reason: 'test' });
    await stack.waitForFinish(start.json.id);
    const bad = await stack.api('POST', `/api/migrations/${start.json.id}/retry`, { batchSize: 50, colour: 'red' });
    expect(bad.status).toBe(400);
    const fields = (bad.json.errors as { field: string }[]).map((problem) => problem.field).sort();
    expect(fields).toEqual(['batchSize', 'colour']);
  });
});
