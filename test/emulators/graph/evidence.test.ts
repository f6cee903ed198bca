import {
  SKU_CATALOG,
  findUnlicensedGaps,
  findWriteBudgetViolations,
  type RequestEvent,
  type SimulatorEvent,
} from '../../../emulators/graph';
import { assignBody, call, startTestSimulator, type Simulator } from './helpers';

const BS = SKU_CATALOG.O365_BUSINESS_PREMIUM.skuId;
const SPB = SKU_CATALOG.SPB.skuId;

describe('evidence helpers', () => {
  let sim: Simulator;
  let clock = 0;
  beforeAll(async () => {
    sim = await startTestSimulator({ throttling: false, now: () => clock });
  });
  afterAll(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    clock = 1_000;
  });

  const swappable = () =>
    [...sim.tenant.findSku(BS)!.holders].filter(
      (u) => u.usageLocation && u.licenseStates.every((s) => s.assignedByGroup === null),
    );

  it('catches a deliberately unsafe remove-then-add swap', async () => {
    const [user] = swappable();
    expect((await call(sim, 'POST', `/users/${user!.id}/assignLicense`, assignBody([], [BS]))).status).toBe(200);
    clock += 250;
    expect((await call(sim, 'POST', `/users/${user!.id}/assignLicense`, assignBody([{ skuId: SPB }]))).status).toBe(
      200,
    );
    const gaps = findUnlicensedGaps(sim.events());
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({
      kind: 'unlicensedGap',
      userId: user!.id,
      lostSkuIds: [BS],
      at: 1_000,
      until: 1_250,
    });
    expect(gaps[0]!.message).toContain(user!.userPrincipalName);
  });

  it('finds no gap in an atomic swap or an add-then-remove overlap', async () => {
    const [atomic, overlap] = swappable();
    await call(sim, 'POST', `/users/${atomic!.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]));
    await call(sim, 'POST', `/users/${overlap!.id}/assignLicense`, assignBody([{ skuId: SPB }]));
    await call(sim, 'POST', `/users/${overlap!.id}/assignLicense`, assignBody([], [BS]));
    expect(sim.events().filter((e) => e.kind === 'license')).toHaveLength(3);
    expect(findUnlicensedGaps(sim.events())).toEqual([]);
  });

  it('also sees a gap left by the non-atomic mode when the add fails and is retried later', async () => {
    sim.settings.atomicAssignLicense = false;
    sim.setSkuSeats('SPB', 0);
    const [user] = swappable();
    expect(
      (await call(sim, 'POST', `/users/${user!.id}/assignLicense`, assignBody([{ skuId: SPB }], [BS]))).status,
    ).toBe(400);
    sim.setSkuSeats('SPB', 5);
    clock += 60_000;
    await call(sim, 'POST', `/users/${user!.id}/assignLicense`, assignBody([{ skuId: SPB }]));
    sim.settings.atomicAssignLicense = true;
    expect(findUnlicensedGaps(sim.events())).toHaveLength(1);
    expect(findUnlicensedGaps(sim.events(), { withinMs: 1_000 })).toEqual([]);
  });

  it('checks the write budget over a sliding window, per app and per tenant', () => {
    const write = (at: number, appId: string, seq: number): RequestEvent => ({
      kind: 'request',
      seq,
      at,
      method: 'POST',
      path: '/users/x/assignLicense',
      status: 200,
      ru: 1,
      writeCost: 1,
      appId,
      requestId: String(seq),
    });
    // 10 writes per 1 s are fine at 10/s; an 11th inside the same second is not.
    const paced: SimulatorEvent[] = Array.from({ length: 30 }, (_, i) => write(i * 100, 'a', i));
    expect(findWriteBudgetViolations(paced, { perApp: 10, windowMs: 1000 })).toEqual([]);
    const burst = [...paced, write(2_950, 'a', 31)];
    const violations = findWriteBudgetViolations(burst, { perApp: 10, windowMs: 1000 });
    expect(violations).toEqual([expect.objectContaining({ kind: 'writeBudget', appId: 'a', count: 11, limit: 10 })]);
    const twoApps = [...paced, ...Array.from({ length: 30 }, (_, i) => write(i * 100 + 50, 'b', 100 + i))].sort(
      (x, y) => x.at - y.at,
    );
    const tenantWide = findWriteBudgetViolations(twoApps, {
      perApp: 10,
      windowMs: 1000,
      perTenant: 15,
      tenantWindowMs: 1000,
    });
    expect(tenantWide).toEqual([expect.objectContaining({ kind: 'writeBudget', count: 16, limit: 15 })]);
    expect(tenantWide[0]!.appId).toBeUndefined();
  });
});
