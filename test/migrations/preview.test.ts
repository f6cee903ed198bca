/**
 * POST /api/migrations/preview on the demo tenant: the plan of a request, seats against free ones, blocked users with
 * reasons and plans lost, without changing anybody or starting anything (or, for large requests, a dry run).
 */
import type { MigrationPreview } from '../../src/migrations/preview';
import { licenseChangeCount } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';

const BS_TO_BP = {
  moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }],
  usageLocation: 'US',
};

describe('POST /api/migrations/preview', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('says who would move, who is blocked and why, and that 23 more Business Premium seats are needed', async () => {
    const response = await stack.api<MigrationPreview>('POST', '/api/migrations/preview', BS_TO_BP);
    expect(response.status).toBe(200);
    const preview = response.json;
    expect(preview).toMatchObject({ mode: 'preview', total: 35, toChange: 28, blocked: 7, ready: false });
    expect(preview.seats).toEqual([
      expect.objectContaining({
        skuPartNumber: 'SPB',
        productName: 'Microsoft 365 Business Premium',
        needed: 28,
        free: 5,
        short: 23,
      }),
    ]);
    expect(preview.reasons).toEqual([
      expect.stringMatching(/^need 28, 5 free: buy 23 more Microsoft 365 Business Premium licenses/),
    ]);
    expect(preview.moves).toEqual([
      expect.objectContaining({
        label: 'Microsoft 365 Business Standard → Microsoft 365 Business Premium',
        users: { total: 35, toChange: 28, skipped: 0, blocked: 7 },
        lostPlans: [],
      }),
    ]);
    const blocked = preview.users.filter((user) => user.decision === 'blocked');
    expect(blocked).toHaveLength(7);
    expect(new Set(blocked.map((user) => user.code))).toEqual(
      new Set(['inheritedFromGroup', 'accountDisabled', 'foreignDomain']),
    );
    for (const user of blocked) expect(user.reason).not.toBe('');
    expect(preview.blockedReasons[0]).toEqual({ code: 'inheritedFromGroup', count: 4 });
    // Nothing was started or changed.
    expect(licenseChangeCount(stack.sim)).toBe(0);
    expect((await stack.api('GET', '/api/migrations')).json.migrations).toEqual([]);
  });

  it('lists the plans a downgrade loses, data-holding ones flagged, and that data loss needs acknowledging', async () => {
    const response = await stack.api('POST', '/api/migrations/preview', {
      moves: [{ from: 'ENTERPRISEPREMIUM', to: 'ENTERPRISEPACK', users: { all: true } }],
    });
    expect(response.status).toBe(200);
    expect(response.json.needsDataLossAcknowledgement).toBe(true);
    const lost = response.json.moves[0].lostPlans as {
      servicePlanName: string;
      friendlyName: string;
      holdsData: boolean;
    }[];
    expect(lost.find((plan) => plan.servicePlanName === 'FORMS_PLAN_E5')).toMatchObject({ holdsData: true });
    expect(lost.find((plan) => plan.servicePlanName === 'MCOEV')).toMatchObject({ holdsData: false });
    expect(lost.every((plan) => plan.friendlyName !== '')).toBe(true);
  });

  it('validates like POST /api/migrations: the same problems, each naming its field; JSON only', async () => {
    const body = {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { upns: ['not a upn'] } }],
      batchSize: 50,
    };
    const preview = await stack.api('POST', '/api/migrations/preview', body);
    const start = await stack.api('POST', '/api/migrations', body);
    expect(preview.status).toBe(400);
    expect(preview.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(preview.json.errors).toEqual(start.json.errors);
    expect((preview.json.errors as { field: string }[]).map((error) => error.field).sort()).toEqual([
      'batchSize',
      'moves[0].users.upns[0]',
    ]);
    const text = await stack.api('POST', '/api/migrations/preview', JSON.stringify(BS_TO_BP), {
      'content-type': 'text/plain',
    });
    expect(text.status).toBe(415);
  });

  it('refuses (422) a request naming a SKU the tenant does not have, listing the ones it has', async () => {
    const response = await stack.api('POST', '/api/migrations/preview', {
      moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPE_F5_SEC', users: { all: true } }],
    });
    expect(response.status).toBe(422);
    expect(response.json.detail).toMatch(/this tenant has no SKU "SPE_F5_SEC"/);
  });

  it('with Prefer: respond-async, starts a dry run instead and answers 202 with its link', async () => {
    const response = await stack.api('POST', '/api/migrations/preview', BS_TO_BP, { prefer: 'respond-async' });
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ mode: 'dryRun', id: expect.stringMatching(/^preview-/) });
    expect(response.headers.get('location')).toBe(response.json.statusUrl);
    const done = await stack.waitForFinish(response.json.id);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ toChange: 28, blocked: 7 });
    expect(licenseChangeCount(stack.sim)).toBe(0);
  });
});
