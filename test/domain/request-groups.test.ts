/** The request contract of group moves (docs/group-moves.md): each kind parses, and each misuse names its field. */
import { parseMigrationRequest, type Problem } from '../../src/domain/request';

const GROUP = '10000000-0000-4000-8000-00000000E001';
const TARGET = '10000000-0000-4000-8000-0000000000B9';

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

describe('parseMigrationRequest: group moves', () => {
  it("parses a group's product change; its users are the group's members", () => {
    const result = parseMigrationRequest({
      moves: [{ group: GROUP, from: 'STANDARDPACK', to: 'ENTERPRISEPACK', disabledPlans: ['SWAY'] }],
    });
    expect(result.ok && result.value.moves).toEqual([
      {
        group: GROUP.toLowerCase(),
        from: 'STANDARDPACK',
        to: 'ENTERPRISEPACK',
        users: { groupId: GROUP.toLowerCase() },
        disabledPlans: ['SWAY'],
        keepDisabledPlans: true,
      },
    ]);
  });

  it('parses moves into a group, with sourceGroups defaulting to block, and conversions (from = to)', () => {
    const result = parseMigrationRequest({
      moves: [
        {
          from: 'O365_BUSINESS_PREMIUM',
          to: 'SPB',
          users: { all: true },
          assignVia: { group: TARGET },
          sourceGroups: 'leave',
        },
        {
          from: 'ENTERPRISEPACK',
          to: 'ENTERPRISEPACK',
          users: { upns: ['a@contoso.com'] },
          assignVia: { group: GROUP },
        },
      ],
    });
    expect(result.ok && result.value.moves).toEqual([
      expect.objectContaining({ assignVia: { group: TARGET.toLowerCase() }, sourceGroups: 'leave' }),
      expect.objectContaining({ from: 'ENTERPRISEPACK', to: 'ENTERPRISEPACK', sourceGroups: 'block' }),
    ]);
  });

  it('mixes group moves with direct moves in one request', () => {
    const result = parseMigrationRequest({
      moves: [
        { from: 'O365_BUSINESS_PREMIUM', to: 'SPB', users: { ids: ['a0b1c2d3-0000-4000-8000-000000000001'] } },
        { group: GROUP, from: 'STANDARDPACK', to: 'ENTERPRISEPACK' },
      ],
    });
    expect(result.ok).toBe(true);
  });

  it('names every misuse with its field', () => {
    const body = {
      maxUsers: 10,
      moves: [
        {
          group: GROUP,
          to: 'ENTERPRISEPACK',
          users: { all: true },
          assignVia: { group: TARGET },
          sourceGroups: 'leave',
        },
        { from: 'SPB', to: 'SPB', users: { all: true }, assignVia: { group: 'nope' }, disabledPlans: ['SWAY'] },
        { from: 'SPB', to: 'SPB', users: { all: true }, sourceGroups: 'leave' },
        { group: GROUP, from: 'STANDARDPACK', to: 'ENTERPRISEPACK' },
        { to: 'SPB', assignVia: { group: TARGET }, keepDisabledPlans: false },
        { from: 'SPB', to: 'O365_BUSINESS_PREMIUM' },
      ],
    };
    expect(problemAt(body, 'moves[0].from')).toMatch(/required with group/);
    expect(problemAt(body, 'moves[0].users')).toMatch(/must not be given with group/);
    expect(problemAt(body, 'moves[0].assignVia')).toMatch(/either change the group's product/);
    expect(problemAt(body, 'moves[0].sourceGroups')).toMatch(/only to moves with assignVia/);
    expect(problemAt(body, 'moves[1].assignVia.group')).toMatch(/must be a GUID/);
    expect(problemAt(body, 'moves[1].disabledPlans')).toMatch(/group's license decides/);
    expect(problemAt(body, 'moves[2].to')).toMatch(/same SKU as from.*add assignVia/);
    expect(problemAt(body, 'moves[3].group')).toMatch(/changes group .* again \(moves\[0\] already does\)/);
    expect(problemAt(body, 'moves[4].from')).toMatch(/required with assignVia/);
    expect(problemAt(body, 'moves[4].users')).toMatch(/required with assignVia/);
    expect(problemAt(body, 'moves[4].keepDisabledPlans')).toMatch(/group's license decides/);
    expect(problemAt(body, 'moves[5].users')).toMatch(/is required/);
    expect(problemAt(body, 'maxUsers')).toMatch(/cannot be used with a group's product change/);
    expect(
      problemAt(
        { moves: [{ from: 'SPB', to: 'SPB', users: { all: true }, sourceGroups: 'stay' }] },
        'moves[0].sourceGroups',
      ),
    ).toMatch(/"block" or "leave"/);
  });
});
