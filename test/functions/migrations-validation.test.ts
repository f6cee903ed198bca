import { licenseChangeCount } from '../support/demo-tenant';
import { startStack, type Stack } from '../support/e2e';

/** A valid move to build bad requests from. */
const MOVE = { from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } };

describe('bad input to POST /api/migrations: 400 naming the problem, nothing started or changed', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ functionKey: 'local-test-key' });
  });
  afterAll(async () => {
    await stack.stop();
  });

  async function expectRejected(body: unknown, field: RegExp, message?: RegExp): Promise<void> {
    const response = await stack.api('POST', '/api/migrations', body, { 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const errors = response.json.errors as { field: string; message: string }[];
    expect(errors.some((error) => field.test(error.field) && (!message || message.test(error.message)))).toBe(true);
  }

  afterEach(async () => {
    const list = await stack.api('GET', '/api/migrations');
    expect(list.json.migrations).toEqual([]);
    expect(licenseChangeCount(stack.sim)).toBe(0);
  });

  it('rejects malformed JSON and an empty body', async () => {
    await expectRejected('{"moves": [', /^body$/, /not valid JSON/);
    await expectRejected('', /^body$/, /empty/);
  });

  it('accepts only JSON: a form or plain-text body gets 415 and starts nothing', async () => {
    const body = JSON.stringify({ moves: [MOVE] });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await stack.api('POST', '/api/migrations', body, { 'content-type': contentType });
      expect(response.status).toBe(415);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.json.detail).toMatch(/Content-Type: application\/json/);
    }
    const withoutType = await stack.api('POST', '/api/migrations', body);
    expect(withoutType.status).toBe(415);
    const list = await stack.api('GET', '/api/migrations');
    expect(list.json.migrations).toEqual([]);
  });

  it('rejects unknown fields by name', async () => {
    await expectRejected({ moves: [MOVE], dryrun: true }, /dryrun/);
    await expectRejected({ moves: [{ ...MOVE, colour: 'blue' }] }, /moves\[0\]\.colour/, /not a known field/);
  });

  it('rejects invalid GUIDs and part numbers', async () => {
    await expectRejected({ moves: [{ ...MOVE, to: 'not a sku!' }] }, /moves\[0\]\.to/);
    await expectRejected({ moves: [{ ...MOVE, users: { ids: ['1234'] } }] }, /moves\[0\]\.users\.ids\[0\]/);
    await expectRejected({ moves: [{ ...MOVE, users: { groupId: 'abc' } }] }, /moves\[0\]\.users\.groupId/);
  });

  it('rejects no selector and two selectors', async () => {
    await expectRejected({ moves: [{ ...MOVE, users: {} }] }, /moves\[0\]\.users/, /exactly one/);
    await expectRejected(
      { moves: [{ ...MOVE, users: { all: true, upns: ['a@contoso.com'] } }] },
      /moves\[0\]\.users/,
      /exactly one/,
    );
  });

  it('rejects a user in two moves, naming both places', async () => {
    await expectRejected(
      {
        moves: [
          { ...MOVE, users: { upns: ['Megan.Bowen@contoso.com'] } },
          { from: 'STANDARDPACK', to: 'ENTERPRISEPACK', users: { upns: ['megan.bowen@contoso.com'] } },
        ],
      },
      /moves\[1\]\.users\.upns\[0\]/,
      /moves\[0\]/,
    );
  });

  it('rejects out-of-range options', async () => {
    await expectRejected({ moves: [MOVE], batchSize: 21 }, /batchSize/);
    await expectRejected({ moves: [MOVE], maxFailureRate: 2 }, /maxFailureRate/);
    await expectRejected({ moves: [MOVE], waitForLicenses: { timeout: 'forever' } }, /waitForLicenses\.timeout/);
    await expectRejected({ moves: [MOVE], usageLocation: 'USA' }, /usageLocation/);
    await expectRejected({ moves: [] }, /moves/);
  });

  it('rejects UPNs that try to break out of an OData filter', async () => {
    await expectRejected(
      { moves: [{ ...MOVE, users: { upns: ["x@contoso.com') or (userPrincipalName ne '"] } }] },
      /moves\[0\]\.users\.upns\[0\]/,
    );
  });

  it('rejects oversized bodies with 413 saying what to do', async () => {
    const upns = Array.from({ length: 400_000 }, (_, i) => `someone.with.a.long.name${i}@contoso.com`);
    const response = await stack.api('POST', '/api/migrations', { moves: [{ ...MOVE, users: { upns } }] });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.json.detail).toMatch(/Split the users into several migrations/);
  });

  it('rejects more than 100,000 UPNs in one list (bodies up to 8 MiB get past the host), naming the list', async () => {
    const upns = Array.from({ length: 100_001 }, (_, i) => `user${i}@contoso.com`);
    const tooMany = await stack.api('POST', '/api/migrations', { moves: [{ ...MOVE, users: { upns } }] });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.errors[0].field).toBe('moves[0].users.upns');
  });

  it('requires the function key when one is configured', async () => {
    const response = await fetch(`${stack.baseUrl}/api/migrations`, {
      method: 'POST',
      body: JSON.stringify({ moves: [MOVE] }),
    });
    expect(response.status).toBe(401);
  });
});

describe('requests that match nobody', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('"all" holders of a SKU nobody holds is a valid plan with zero users', async () => {
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'SPE_E5', to: 'SPB', users: { all: true } }],
    });
    expect(start.status).toBe(202);
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('completed');
    expect(done.counts.total).toBe(0);
    expect(done.message).toMatch(/Nobody needs a change/);
  });

  it('a group that does not exist fails the run at once, naming the group', async () => {
    const groupId = '00000000-0000-0000-0000-000000000001';
    const start = await stack.api('POST', '/api/migrations', {
      moves: [{ from: 'SPE_E3', to: 'SPB', users: { groupId } }],
    });
    const done = await stack.waitForFinish(start.json.id);
    expect(done.status).toBe('failed');
    expect(done.message).toContain(groupId);
    expect(licenseChangeCount(stack.sim)).toBe(0);
  });
});
