import fc from 'fast-check';
import { parseMigrationRequest, upnProblem, type Problem } from '../../src/domain/request';

const GUID = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';
const minimal = () => ({ moves: [{ from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { all: true } }] });

function problemsOf(body: unknown): Problem[] {
  const result = parseMigrationRequest(body);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.value)}`);
  return result.problems;
}

function problemAt(body: unknown, field: string): string {
  const problem = problemsOf(body).find((candidate) => candidate.field === field);
  if (!problem) throw new Error(`no problem at ${field}: ${JSON.stringify(problemsOf(body))}`);
  return problem.message;
}

describe('parseMigrationRequest: defaults', () => {
  it('applies every documented default to a minimal body', () => {
    const result = parseMigrationRequest(minimal());
    expect(result).toEqual({
      ok: true,
      value: {
        moves: [
          {
            from: 'O365_BUSINESS_PREMIUM',
            to: 'SPB',
            users: { all: true },
            disabledPlans: [],
            keepDisabledPlans: true,
          },
        ],
        mode: 'swap',
        strategy: 'atomic',
        dryRun: false,
        requireApproval: false,
        approvalTimeout: 'P7D',
        acknowledgeDataLoss: false,
        includeDisabledUsers: false,
        waitForLicenses: { timeout: 'PT72H', pollInterval: 'PT1M' },
        batchSize: 20,
        maxFailureRate: 0.2,
      },
    });
  });

  it('keeps given values, upper-cases the usage location and lower-cases object ids', () => {
    const result = parseMigrationRequest({
      id: 'wave-1_a',
      moves: [
        { to: GUID, users: { ids: ['A0B1C2D3-0000-4000-8000-000000000001'] }, disabledPlans: ['SWAY'] },
        { to: 'SPB', users: { groupId: '5E1F4A1B-7F62-4C34-9BD9-2F4A0C2D1111' }, keepDisabledPlans: false },
      ],
      mode: 'replace',
      strategy: 'overlap',
      dryRun: true,
      usageLocation: 'gb',
      waitForLicenses: { timeout: 'P2D' },
      batchSize: 5,
      maxFailureRate: 0,
      maxUsers: 1000,
      notAfter: '2026-11-28T06:00:00+01:00',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.id).toBe('wave-1_a');
    expect(result.value.usageLocation).toBe('GB');
    expect(result.value.moves[0]?.users).toEqual({ ids: ['a0b1c2d3-0000-4000-8000-000000000001'] });
    expect(result.value.moves[0]?.from).toBeUndefined();
    expect(result.value.moves[1]?.users).toEqual({ groupId: '5e1f4a1b-7f62-4c34-9bd9-2f4a0c2d1111' });
    expect(result.value.moves[1]?.keepDisabledPlans).toBe(false);
    expect(result.value.waitForLicenses).toEqual({ timeout: 'P2D', pollInterval: 'PT1M' });
    expect(result.value).toMatchObject({ mode: 'replace', strategy: 'overlap', dryRun: true, batchSize: 5 });
    expect(result.value.maxFailureRate).toBe(0);
    expect(result.value.maxUsers).toBe(1000);
    expect(result.value.notAfter).toBe('2026-11-28T06:00:00+01:00');
  });
});

describe('parseMigrationRequest: problems name the field', () => {
  it('rejects a body that is not an object', () => {
    expect(problemsOf('moves')).toEqual([{ field: 'body', message: 'expected a JSON object, got a string' }]);
    expect(problemsOf([])).toEqual([{ field: 'body', message: 'expected a JSON object, got an array' }]);
    expect(problemsOf(null)[0]?.message).toContain('null');
  });

  it('names unknown fields at every level', () => {
    const problems = problemsOf({
      ...minimal(),
      dryrun: true,
      moves: [{ from: 'A', to: 'B', users: { all: true, some: 1 }, extra: 1 }],
      waitForLicenses: { timeout: 'PT1H', interval: 'PT1M' },
    });
    const fields = problems.map((problem) => problem.field);
    expect(fields).toEqual(
      expect.arrayContaining(['dryrun', 'moves[0].extra', 'moves[0].users.some', 'waitForLicenses.interval']),
    );
    expect(problems.find((problem) => problem.field === 'dryrun')?.message).toMatch(/not a known field/);
  });

  it('names wrong JSON types with the expected type', () => {
    expect(problemAt({ ...minimal(), dryRun: 'yes' }, 'dryRun')).toBe('must be true or false, got a string');
    expect(problemAt({ ...minimal(), batchSize: '5' }, 'batchSize')).toBe('must be a number, got a string');
    expect(problemAt({ moves: [{ from: 1, to: 'SPB', users: { all: true } }] }, 'moves[0].from')).toBe(
      'must be a string, got the number 1',
    );
    expect(problemAt({ moves: {} }, 'moves')).toBe('must be an array, got an object');
    expect(problemAt({}, 'moves')).toBe('is required (an array)');
  });

  it('requires 1 to 50 moves', () => {
    expect(problemAt({ moves: [] }, 'moves')).toMatch(/at least one move/);
    const many = Array.from({ length: 51 }, () => minimal().moves[0]);
    expect(problemAt({ moves: many }, 'moves')).toMatch(/at most 50 moves/);
  });

  it('accepts GUIDs and part numbers for from/to, and nothing else', () => {
    expect(parseMigrationRequest({ moves: [{ from: GUID.toUpperCase(), to: 'SPB', users: { all: true } }] }).ok).toBe(
      true,
    );
    expect(
      problemAt({ moves: [{ from: "SPB' or 1 eq 1", to: 'SPB', users: { all: true } }] }, 'moves[0].from'),
    ).toMatch(/SKU id \(GUID\) or a part number/);
    expect(problemAt({ moves: [{ from: 'SPB', to: 'x'.repeat(65), users: { all: true } }] }, 'moves[0].to')).toMatch(
      /part number/,
    );
  });

  it('requires from in swap mode but not in replace mode', () => {
    expect(problemAt({ moves: [{ to: 'SPB', users: { upns: ['a@contoso.com'] } }] }, 'moves[0].from')).toMatch(
      /required in swap mode/,
    );
    expect(
      parseMigrationRequest({ mode: 'replace', moves: [{ to: 'SPB', users: { upns: ['a@contoso.com'] } }] }).ok,
    ).toBe(true);
    expect(problemAt({ mode: 'replace', moves: [{ to: 'SPB', users: { all: true } }] }, 'moves[0].from')).toMatch(
      /everyone who holds the from license/,
    );
  });

  it('rejects a move whose from and to are the same SKU', () => {
    expect(problemAt({ moves: [{ from: 'spb', to: 'SPB', users: { all: true } }] }, 'moves[0].to')).toMatch(/same SKU/);
  });

  it('says clearly when no selector or two selectors are given', () => {
    expect(problemAt({ moves: [{ from: 'A', to: 'B', users: {} }] }, 'moves[0].users')).toMatch(/chooses no users/);
    expect(
      problemAt(
        { moves: [{ from: 'A', to: 'B', users: { upns: ['a@contoso.com'], groupId: GUID } }] },
        'moves[0].users',
      ),
    ).toBe('gives upns and groupId; give exactly one of all, upns, ids or groupId');
    expect(problemAt({ moves: [{ from: 'A', to: 'B', users: { all: false } }] }, 'moves[0].users.all')).toMatch(
      /must be true/,
    );
  });

  it('checks list sizes and GUIDs of ids and groupId', () => {
    expect(problemAt({ moves: [{ from: 'A', to: 'B', users: { upns: [] } }] }, 'moves[0].users.upns')).toMatch(
      /at least one/,
    );
    expect(
      problemAt({ moves: [{ from: 'A', to: 'B', users: { ids: [GUID, 'nope'] } }] }, 'moves[0].users.ids[1]'),
    ).toMatch(/GUID/);
    expect(problemAt({ moves: [{ from: 'A', to: 'B', users: { groupId: 'g1' } }] }, 'moves[0].users.groupId')).toMatch(
      /GUID \(a group object id\)/,
    );
    const tooMany = Array.from({ length: 100_001 }, (_, index) => `u${index}@contoso.com`);
    expect(problemAt({ moves: [{ from: 'A', to: 'B', users: { upns: tooMany } }] }, 'moves[0].users.upns')).toMatch(
      /more than 100000/,
    );
  });

  it('reports a duplicate in one list and a user in two moves, naming both places', () => {
    const body = {
      moves: [
        { from: 'A', to: 'B', users: { upns: ['adele@contoso.com', 'ADELE@contoso.com'] } },
        { from: 'A', to: 'C', users: { upns: ['Adele@Contoso.com'] } },
        { from: 'A', to: 'B', users: { ids: [GUID] } },
        { from: 'A', to: 'C', users: { ids: [GUID.toUpperCase()] } },
      ],
    };
    expect(problemAt(body, 'moves[0].users.upns[1]')).toBe(
      'repeats UPN "ADELE@contoso.com" already listed at moves[0].users.upns[0]; list each user once',
    );
    expect(problemAt(body, 'moves[1].users.upns[0]')).toBe(
      'UPN "Adele@Contoso.com" is also in moves[0].users.upns[0]; a user may appear in only one move',
    );
    expect(problemAt(body, 'moves[3].users.ids[0]')).toMatch(/also in moves\[2\]\.users\.ids\[0\]/);
  });

  it('validates the scalar options', () => {
    expect(problemAt({ ...minimal(), mode: 'swapp' }, 'mode')).toBe('must be "swap" or "replace", got "swapp"');
    expect(problemAt({ ...minimal(), strategy: 'fast' }, 'strategy')).toBe('must be "atomic" or "overlap", got "fast"');
    expect(problemAt({ ...minimal(), batchSize: 21 }, 'batchSize')).toMatch(/at most 20/);
    expect(problemAt({ ...minimal(), batchSize: 0 }, 'batchSize')).toMatch(/at least 1/);
    expect(problemAt({ ...minimal(), batchSize: 2.5 }, 'batchSize')).toMatch(/whole number/);
    expect(problemAt({ ...minimal(), maxFailureRate: 1.5 }, 'maxFailureRate')).toMatch(/between 0 and 1/);
    expect(problemAt({ ...minimal(), maxUsers: 0 }, 'maxUsers')).toMatch(/at least 1/);
    expect(problemAt({ ...minimal(), usageLocation: 'USA' }, 'usageLocation')).toMatch(/two-letter/);
    expect(problemAt({ ...minimal(), id: '-bad' }, 'id')).toMatch(/start with a letter or digit/);
    expect(problemAt({ ...minimal(), notAfter: '2026-11-28T06:00:00' }, 'notAfter')).toMatch(/with a time zone/);
    expect(problemAt({ ...minimal(), notAfter: '2026-13-45T06:00:00Z' }, 'notAfter')).toMatch(/ISO 8601 date/);
    expect(problemAt({ ...minimal(), disabledPlans: ['x'] }, 'disabledPlans')).toMatch(/not a known field/);
    expect(
      problemAt(
        { moves: [{ ...minimal().moves[0], disabledPlans: ['SWAY', 'bad name'] }] },
        'moves[0].disabledPlans[1]',
      ),
    ).toMatch(/service plan id \(GUID\) or a plan name/);
  });

  it('validates durations: ISO 8601, no months, poll interval within timeout, timeout at most 30 days', () => {
    expect(problemAt({ ...minimal(), approvalTimeout: '7 days' }, 'approvalTimeout')).toMatch(
      /not an ISO 8601 duration/,
    );
    expect(problemAt({ ...minimal(), approvalTimeout: 'P1M' }, 'approvalTimeout')).toMatch(/years or months/);
    expect(problemAt({ ...minimal(), approvalTimeout: 'PT0S' }, 'approvalTimeout')).toMatch(/longer than zero/);
    expect(problemAt({ ...minimal(), waitForLicenses: { timeout: 'P31D' } }, 'waitForLicenses.timeout')).toMatch(
      /P30D/,
    );
    expect(
      problemAt(
        { ...minimal(), waitForLicenses: { timeout: 'PT1H', pollInterval: 'PT2H' } },
        'waitForLicenses.pollInterval',
      ),
    ).toBe('(PT2H) must not be longer than waitForLicenses.timeout (PT1H)');
    expect(parseMigrationRequest({ ...minimal(), waitForLicenses: { timeout: 'P30D', pollInterval: 'PT1H' } }).ok).toBe(
      true,
    );
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ moves: [{ to: 'S P B', users: {} }], batchSize: 99, unknown: 1 });
    expect(problems.map((problem) => problem.field).sort()).toEqual(
      ['batchSize', 'moves[0].from', 'moves[0].to', 'moves[0].users', 'unknown'].sort(),
    );
  });
});

describe('upnProblem', () => {
  it.each([
    'adele@contoso.com',
    "o'brien@contoso.com",
    'first.last+tag@contoso.co.uk',
    'zoë.müller@contoso.de',
    '山田@contoso.jp',
    'adele_fabrikam.com#EXT#@contoso.onmicrosoft.com',
  ])('accepts %s', (upn) => {
    expect(upnProblem(upn)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['adele', /exactly one '@'/],
    ['a@b@contoso.com', /exactly one '@'/],
    ['adele smith@contoso.com', /cannot have/],
    ['adele(x)@contoso.com', /cannot have/],
    ['a,b@contoso.com', /cannot have/],
    ['a\u0000b@contoso.com', /cannot have/],
    ["x' or 1 eq 1 or 'a@contoso.com", /cannot have/],
    ['.adele@contoso.com', /'\.'/],
    ['adele@localhost', /valid domain/],
    ['adele@-contoso.com', /valid domain/],
    [`${'a'.repeat(65)}@contoso.com`, /at most 64/],
    [`${'a'.repeat(60)}@${'b'.repeat(50)}.com`, /at most 113/],
  ])('rejects %j', (upn, message) => {
    expect(upnProblem(upn)).toMatch(message);
  });
});

describe('parseMigrationRequest: properties', () => {
  it('never throws on random JSON, and every problem names a field and says something', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const result = parseMigrationRequest(body);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const problem of result.problems) {
            expect(problem.field.length).toBeGreaterThan(0);
            expect(problem.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on near-valid bodies with random values in every field', () => {
    const anything = fc.oneof(fc.jsonValue(), fc.constant(undefined));
    const body = fc.record(
      {
        moves: fc.array(
          fc.record(
            {
              from: fc.oneof(fc.constantFrom('SPB', GUID), anything),
              to: fc.oneof(fc.constantFrom('SPB', 'ENTERPRISEPACK'), anything),
              users: fc.oneof(
                fc.record({ upns: fc.array(fc.oneof(fc.emailAddress(), fc.string()), { maxLength: 4 }) }),
                fc.record({ ids: fc.array(fc.oneof(fc.uuid(), fc.string()), { maxLength: 4 }) }),
                fc.record({ all: anything, groupId: anything }, { requiredKeys: [] }),
              ),
              disabledPlans: anything,
              keepDisabledPlans: anything,
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        mode: anything,
        strategy: anything,
        waitForLicenses: fc.oneof(fc.record({ timeout: fc.string(), pollInterval: fc.string() }), anything),
        batchSize: anything,
        usageLocation: anything,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, (candidate) => {
        const result = parseMigrationRequest(candidate);
        if (result.ok) {
          expect(result.value.moves.length).toBeGreaterThan(0);
          for (const move of result.value.moves) expect(Object.keys(move.users)).toHaveLength(1);
        } else {
          for (const problem of result.problems) expect(problem.field).toMatch(/^(body|[A-Za-z])/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
