/**
 * Seats reserved per run at the purchase check (checkLicenses) and released when the run ends (finalizeMigration):
 * two runs of one tenant never count the same free seats, and the one that waits is told who holds them.
 */
import type { LicenseCheckInput } from '../../src/domain/workflow';
import { ledgerFor } from '../../src/ledger';
import { MigrationDocuments } from '../../src/storage/migration-documents';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD, migrationRequest } from '../domain/fixtures';
import { standardToPremium, standardUsers, world, type World } from './support/world';

const ADMIN_CENTER = 'https://admin.microsoft.com/#/subscriptions';
const USERS = standardUsers(80);

/** A tenant with 50 free Business Premium seats, and two runs that each move 40 users there. */
async function twoRuns(): Promise<{ w: World; first: LicenseCheckInput; second: LicenseCheckInput }> {
  const w = world({ users: USERS });
  Object.assign(w.graph.sku(BUSINESS_PREMIUM.skuId)!, {
    consumedUnits: 0,
    prepaidUnits: { enabled: 50, warning: 0, suspended: 0, lockedOut: 0 },
  });
  const ids = USERS.map((user) => user.id);
  const firstPlan = await w.plan({ moves: [standardToPremium({ ids: ids.slice(0, 40) })] });
  const secondId = `${w.migrationId}-second`;
  await new MigrationDocuments(w.store, secondId).saveRequest({
    migrationId: secondId,
    request: migrationRequest({ moves: [standardToPremium({ ids: ids.slice(40) })] }),
    createdAt: '2031-01-06T09:00:00.000Z',
    origin: 'http',
  });
  const secondPlan = await w.activities.planMigration(secondId, w.log);
  if (!secondPlan.ok) throw new Error(secondPlan.reason);
  const input = (migrationId: string, seatsNeeded: Record<string, number>): LicenseCheckInput => ({
    migrationId,
    seatsNeeded,
    sourceSkuIds: [BUSINESS_STANDARD.skuId],
  });
  return {
    w,
    first: input(w.migrationId, firstPlan.summary.seatsNeeded),
    second: input(secondId, secondPlan.summary.seatsNeeded),
  };
}

describe('seat reservations at the purchase check', () => {
  it('the first run to pass reserves its 40 seats; the second waits, told which run holds them', async () => {
    const { w, first, second } = await twoRuns();
    expect(await w.activities.checkLicenses(first, w.log)).toMatchObject({ ready: true, reasons: [] });
    const waiting = await w.activities.checkLicenses(second, w.log);
    expect(waiting.ready).toBe(false);
    expect(waiting.reasons).toEqual([
      `need 40, 50 free but 40 reserved by run ${first.migrationId}: buy 30 more Microsoft 365 Business Premium licenses (${ADMIN_CENTER})`,
    ]);
    expect(waiting.targets).toEqual([expect.objectContaining({ needed: 40, free: 50, reservedByOthers: 40 })]);
    expect(await ledgerFor(w.deps).reservedSeats(first.migrationId)).toEqual([
      { skuId: BUSINESS_PREMIUM.skuId.toLowerCase(), seats: 40 },
    ]);
  });

  it('checking again renews the run’s own reservation and never counts it against the run itself', async () => {
    const { w, first } = await twoRuns();
    await w.activities.checkLicenses(first, w.log);
    expect(await w.activities.checkLicenses(first, w.log)).toMatchObject({ ready: true });
  });

  it('a run that ends gives its seats back, and the waiting run can go', async () => {
    const { w, first, second } = await twoRuns();
    await w.activities.checkLicenses(first, w.log);
    expect((await w.activities.checkLicenses(second, w.log)).ready).toBe(false);
    // The first run is cancelled while it waits for approval, say: it took no seats.
    const counts = { total: 40, toChange: 40, done: 0, moved: 0, skipped: 0, failed: 0, blocked: 0 };
    await w.activities.finalizeMigration({ migrationId: first.migrationId, status: 'cancelled', counts }, w.log);
    expect(await ledgerFor(w.deps).reservedSeats(first.migrationId)).toEqual([]);
    expect(await w.activities.checkLicenses(second, w.log)).toMatchObject({ ready: true, reasons: [] });
  });
});
