/**
 * planRollback (src/activities/rollback.ts) over a fake Graph and store: the plan of a rollback comes from the
 * original run's batch records, and the batch activities then restore each user's before-state.
 */
import { MigrationDocuments } from '../../src/storage/migration-documents';
import { BUSINESS_PREMIUM, BUSINESS_STANDARD, migrationRequest, planId } from '../domain/fixtures';
import { FIXED, PREMIUM, standardToPremium, standardUsers, tenantUser, world, type World } from './support/world';

const sway = planId(BUSINESS_STANDARD, 'SWAY');
const USERS = [...standardUsers(4), tenantUser(5, [{ skuId: BUSINESS_STANDARD.skuId, disabledPlans: [sway] }])];

/** The five users moved to Business Premium by a finished run. */
async function moved(): Promise<World> {
  const w = world({ users: USERS });
  await w.plan({ moves: [standardToPremium({ all: true })] });
  await w.activities.reassignBatch(w.batch('reassign', 1), w.log);
  return w;
}

async function rollbackOf(w: World, id: string, force = false, users?: string[]): Promise<MigrationDocuments> {
  const docs = new MigrationDocuments(w.store, id);
  await docs.saveRequest({
    migrationId: id,
    request: migrationRequest({ moves: [] }),
    createdAt: new Date(FIXED).toISOString(),
    origin: 'http',
    rollback: { of: w.migrationId, force, ...(users ? { users } : {}) },
  });
  return docs;
}

describe('planRollback', () => {
  it('plans every user the original changed back to its recorded before-state, seats counted on the old subscription', async () => {
    const w = await moved();
    await rollbackOf(w, 'rb-0001');
    const outcome = await w.activities.planRollback('rb-0001', w.log);
    expect(outcome).toEqual(
      expect.objectContaining({
        ok: true,
        summary: expect.objectContaining({
          total: 5,
          toChange: 5,
          seatsNeeded: { [BUSINESS_STANDARD.skuId]: 5 },
          moves: [expect.objectContaining({ fromSkuId: BUSINESS_PREMIUM.skuId, toSkuId: BUSINESS_STANDARD.skuId })],
        }),
      }),
    );
    await w.activities.reassignBatch({ ...w.batch('reassign', 1), migrationId: 'rb-0001' }, w.log);
    for (const user of USERS) expect(w.graph.user(user.id)?.assignedLicenses).toEqual(user.assignedLicenses);
  });

  it('skips a user changed since (and, at write time, one changed after planning); force restores them', async () => {
    const w = await moved();
    const [first, second] = USERS;
    w.graph.putUser(
      tenantUser(1, [{ ...PREMIUM, disabledPlans: [planId(BUSINESS_PREMIUM, 'SWAY')] }], { id: first!.id }),
    );
    await rollbackOf(w, 'rb-0002');
    const outcome = await w.activities.planRollback('rb-0002', w.log);
    expect(outcome.ok && outcome.summary).toEqual(expect.objectContaining({ toChange: 4, skipped: 1 }));
    // Someone changes a second user between planning and the batch: the batch leaves them alone too.
    w.graph.putUser(
      tenantUser(2, [{ ...PREMIUM, disabledPlans: [planId(BUSINESS_PREMIUM, 'SWAY')] }], { id: second!.id }),
    );
    const counts = await w.activities.reassignBatch({ ...w.batch('reassign', 1), migrationId: 'rb-0002' }, w.log);
    expect(counts).toEqual(expect.objectContaining({ moved: 3, skipped: 1 }));
    const [record] = await new MigrationDocuments(w.store, 'rb-0002').batches();
    const guarded = record?.users.find((user) => user.userId === second!.id);
    expect(guarded?.result).toEqual(
      expect.objectContaining({ kind: 'skipped', reason: expect.stringMatching(/^changed since the original run/) }),
    );

    await rollbackOf(w, 'rb-0003', true);
    const forced = await w.activities.planRollback('rb-0003', w.log);
    expect(forced.ok && forced.summary).toEqual(expect.objectContaining({ toChange: 2, skipped: 3 }));
  });

  it('restricts a retried rollback to the given users, and refuses a run that is not a rollback', async () => {
    const w = await moved();
    await rollbackOf(w, 'rb-0004', false, [USERS[4]!.id]);
    const outcome = await w.activities.planRollback('rb-0004', w.log);
    expect(outcome.ok && outcome.summary.total).toBe(1);
    expect(await w.activities.planRollback(w.migrationId, w.log)).toEqual({
      ok: false,
      reason: expect.stringMatching(/is not a rollback/),
    });
  });
});
