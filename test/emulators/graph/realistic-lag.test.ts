import { SKU_CATALOG } from '../../../emulators/graph';
import { assignBody, call, startTestSimulator, type GraphItem, type Simulator } from './helpers';

const E3 = SKU_CATALOG.ENTERPRISEPACK.skuId;
const E5 = SKU_CATALOG.ENTERPRISEPREMIUM.skuId;

/**
 * Realistic profile, replication lag only (noise off): Entra is eventually consistent, even for a read after a
 * write (https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra/), and user
 * lists "might have replication delays" (https://learn.microsoft.com/graph/api/user-list).
 */
describe('realistic profile: replication lag', () => {
  let sim: Simulator;
  let clock: number;
  const start = (seed: number, timeScale = 1) =>
    startTestSimulator({ profile: 'realistic', noise: false, throttling: false, now: () => clock, seed, timeScale });
  beforeEach(() => {
    clock = 7_000_000;
  });
  afterEach(() => sim.stop());

  /** Moves the five Office 365 E5 holders to E3 (one call each) and returns their ids. */
  const downgradeAll = async (s: Simulator) => {
    const ids = [...s.tenant.findSku(E5)!.holders].map((u) => u.id);
    for (const id of ids) {
      expect((await call(s, 'POST', `/users/${id}/assignLicense`, assignBody([{ skuId: E3 }], [E5]))).status).toBe(200);
    }
    return ids;
  };
  const heldSkus = async (s: Simulator, id: string) =>
    ((await call(s, 'GET', `/users/${id}?$select=assignedLicenses`)).body.assignedLicenses as GraphItem[]).map(
      (l) => l.skuId as string,
    );
  const staleReads = async (s: Simulator, ids: string[]) => {
    const stale: string[] = [];
    for (const id of ids) if ((await heldSkus(s, id)).includes(E5)) stale.push(id);
    return stale;
  };

  it('may serve a GET of a user from before the write, and converges within 2 s (seeded, replayable)', async () => {
    sim = await start(21);
    const ids = await downgradeAll(sim);
    // On the simulator's clock no time has passed since the writes: every read still shows the old license.
    expect(await staleReads(sim, ids)).toEqual(ids);
    // Each write's lag is a random 0–2 s: a second later some reads have caught up, some not.
    clock += 1000;
    const stale = await staleReads(sim, ids);
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.length).toBeLessThan(ids.length);
    clock += 1000;
    expect(await staleReads(sim, ids)).toEqual([]);
    // The same seed replays the same stale reads.
    await sim.stop();
    clock = 7_000_000;
    sim = await start(21);
    const again = await downgradeAll(sim);
    clock += 1000;
    expect(await staleReads(sim, again)).toEqual(stale);
  });

  it('scales the lag with the time scale: at k = 10 a read converges within 200 ms', async () => {
    sim = await start(21, 10);
    const ids = await downgradeAll(sim);
    clock += 200;
    expect(await staleReads(sim, ids)).toEqual([]);
  });

  it('lags user lists and consumedUnits for up to 10 s, while writes and seat checks see the truth', async () => {
    sim = await start(5);
    const e3Before = sim.tenant.findSku(E3)!.holders.size;
    const ids = await downgradeAll(sim);
    const listE3 = async () =>
      (
        (await call(sim, 'GET', `/users?$filter=assignedLicenses/any(x:x/skuId eq ${E3})&$select=id&$top=999`)).body
          .value as GraphItem[]
      ).map((u) => u.id as string);
    const consumed = async () =>
      ((await call(sim, 'GET', '/subscribedSkus')).body.value as GraphItem[]).find((s) => s.skuId === E3)
        .consumedUnits as number;
    const seen = (await listE3()).filter((id) => ids.includes(id));
    expect(seen.length).toBeLessThan(ids.length);
    expect(await consumed()).toBe(e3Before + seen.length);
    // Seat checks count the real holders.
    expect(sim.tenant.consumedUnits(sim.tenant.findSku(E3)!)).toBe(e3Before + ids.length);
    clock += 10_000;
    expect((await listE3()).filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
    expect(await consumed()).toBe(e3Before + ids.length);
  });

  it('lags the license fields of group member lists the same way', async () => {
    sim = await start(5);
    const ids = await downgradeAll(sim);
    // Put the downgraded users in a group through the control API (a directory sync), then list its members.
    const groupId = [...sim.tenant.groups.values()][1]!.id;
    for (const id of ids) sim.tenant.setGroupMembership(groupId, id, true);
    const e5InList = async () =>
      (
        (await call(sim, 'GET', `/groups/${groupId}/members?$select=id,assignedLicenses&$top=999`)).body
          .value as GraphItem[]
      ).filter((m) => (m.assignedLicenses as GraphItem[]).some((l) => l.skuId === E5)).length;
    expect(await e5InList()).toBeGreaterThan(0);
    clock += 10_000;
    expect(await e5InList()).toBe(0);
  });
});
