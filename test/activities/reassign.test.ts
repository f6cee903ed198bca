/**
 * reassignBatch (src/activities/reassign.ts) when Graph throttles single users, and the live progress it publishes:
 * a throttled user is handed back instead of waited for, a later activity carrying the range sends it, and every plan
 * batch's result shows in the activity's progress document at once.
 */
import { DEFERRED_CODE, type GraphErrorInfo } from '../../src/graph';
import { TelemetryEvents, TelemetryMetrics } from '../../src/telemetry';
import { emptyBatchCounts } from '../../src/domain/workflow';
import { ProgressDocuments, reassignProgressName } from '../../src/storage/progress-documents';
import { BUSINESS_PREMIUM } from '../domain/fixtures';
import { standardToPremium, standardUsers, world, type World } from './support/world';

const USERS = standardUsers(5);
const [U1, U2] = USERS.map((user) => user.id) as [string, string];
const counts = (partial: Partial<ReturnType<typeof emptyBatchCounts>>) => ({ ...emptyBatchCounts(), ...partial });

/** What the Graph layer hands back for a user it was told not to wait for (AssignLicensesOptions.deferThrottled). */
const handedBack: GraphErrorInfo = {
  errorClass: 'retryable',
  status: 429,
  code: DEFERRED_CODE,
  message: 'Graph throttled this request (Retry-After 12000 ms); it was handed back unsent.',
  reason: 'Graph asked to wait; nothing was written.',
  action: 'Send it again after the wait.',
};

/** Five users on Business Standard, planned for Business Premium in plan batches of two (2, 2, 1). */
async function planned(): Promise<World> {
  const w = world({ users: USERS });
  await w.plan({ moves: [standardToPremium({ all: true })], batchSize: 2 });
  return w;
}

describe('reassignBatch with throttled users handed back', () => {
  it('records a throttled user as not changed yet, counts it as handed back, and moves the others', async () => {
    const w = await planned();
    w.graph.failAssignOnce(U2, handedBack);
    const result = await w.activities.reassignBatch(w.batch('reassign', 3, { deferThrottled: true }), w.log);
    expect(result).toEqual(counts({ moved: 4, deferred: 1 }));
    expect(w.graph.callsTo('assignLicenses').every((call) => call.options?.deferThrottled === true)).toBe(true);
    const user2 = (await w.docs.batch(0))?.users[1];
    // A 429 means nothing was written: it is not marked as sent, so the next attempt does not read it back first.
    expect(user2).toEqual({
      userId: U2,
      before: expect.any(Array),
      result: { kind: 'notAttempted', reason: expect.stringMatching(/Graph asked to wait/) },
    });
  });

  it('an activity carrying the range sends the handed-back user and says where the range stands', async () => {
    const w = await planned();
    w.graph.failAssignOnce(U2, handedBack);
    await w.activities.reassignBatch(w.batch('reassign', 3, { deferThrottled: true }), w.log);
    const writes = w.graph.callsTo('assignLicenses').length;
    const carrier = w.batch('reassign', 0, {
      batch: 0,
      deferThrottled: true,
      carried: [{ wave: 0, batch: 0, batchCount: 3 }],
    });
    expect(await w.activities.reassignBatch(carrier, w.log)).toEqual(
      counts({ carried: [{ moved: 5, failed: 0, skipped: 0, deferred: 0 }] }),
    );
    const resent = w.graph.callsTo('assignLicenses').slice(writes);
    expect(resent.flatMap((call) => call.items.map((item) => item.userId))).toEqual([U2]);
    expect(w.graph.user(U2)?.assignedLicenses.map((l) => l.skuId)).toEqual([BUSINESS_PREMIUM.skuId]);
  });

  it('a user whose read Graph throttled is handed back before anything is sent for it', async () => {
    const w = await planned();
    w.graph.deferReadOnce(U1);
    const result = await w.activities.reassignBatch(w.batch('reassign', 3, { deferThrottled: true }), w.log);
    expect(result).toEqual(counts({ moved: 4, deferred: 1 }));
    expect(w.graph.callsTo('assignLicenses').flatMap((call) => call.items.map((item) => item.userId))).not.toContain(
      U1,
    );
  });
});

describe('live progress of a reassign activity', () => {
  it("publishes the users each plan batch brought to a final result in the activity's progress document", async () => {
    const w = await planned();
    w.graph.failAssignOnce(U2, handedBack);
    await w.activities.reassignBatch(w.batch('reassign', 3, { deferThrottled: true }), w.log);
    const progress = new ProgressDocuments(w.store, w.migrationId);
    expect(await progress.read(reassignProgressName(0, 3))).toEqual({
      moved: 4,
      failed: 0,
      skipped: 0,
      startedAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    // A later activity counts only the users it adds (its own document), never the first one's again.
    await w.activities.reassignBatch(
      w.batch('reassign', 0, { batch: 0, carried: [{ wave: 0, batch: 0, batchCount: 3 }] }),
      w.log,
    );
    expect(await progress.read(reassignProgressName(0, 0))).toMatchObject({ moved: 1, failed: 0, skipped: 0 });
  });
});

describe('telemetry of plan batches with users handed back', () => {
  it('a batch is reported once, complete, by the activity that sends its last users', async () => {
    const w = await planned();
    w.graph.failAssignOnce(U2, handedBack);
    await w.activities.reassignBatch(w.batch('reassign', 3, { deferThrottled: true }), w.log);
    const completed = () => w.telemetry.named(TelemetryEvents.BatchCompleted);
    // Batch 0 (U1, U2) still has U2 handed back: not complete, not reported yet; batches 1 and 2 are.
    expect(
      completed()
        .map((e) => e.batch as number)
        .sort(),
    ).toEqual([1, 2]);
    const carrier = w.batch('reassign', 0, { batch: 0, carried: [{ wave: 0, batch: 0, batchCount: 3 }] });
    await w.activities.reassignBatch(carrier, w.log);
    expect(completed()).toHaveLength(3);
    expect(completed()[2]).toMatchObject({ wave: 0, batch: 0, moved: 2, failed: 0 });
    const moved = w.telemetry.metrics.filter((m) => m.name === TelemetryMetrics.UsersMoved);
    expect(moved.reduce((sum, m) => sum + m.value, 0)).toBe(5);
  });
});
