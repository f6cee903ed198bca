import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json';
import { NOTIFY_EVENTS } from '../../src/domain/notify';
import { notificationPayload, type PayloadInput } from '../../src/notifications/payload';
import { ADAPTIVE_CARD_VERSION, teamsMessage } from '../../src/notifications/teams';
import { TEST_START_INSTANT } from '../support/clock';

/** Adaptive Card 1.4 schema (draft-06), vendored with its source and date in data/SOURCE.md. */
const schema = JSON.parse(readFileSync(join(__dirname, '../../data/adaptive-card-1.4.0.schema.json'), 'utf8')) as {
  id: string;
};

function validator() {
  // The schema declares draft-06 but names its id with the draft-04 spelling `id` (draft-06 says `$id`), and documents
  // each property with "version", "features" and "example" annotations, which are not validation keywords.
  const { id, ...rest } = schema;
  const ajv = new Ajv({ allErrors: true, strictTypes: false, strictTuples: false, strictRequired: false });
  ajv.addMetaSchema(draft06);
  addFormats(ajv);
  for (const keyword of ['version', 'features', 'example']) ajv.addKeyword({ keyword });
  return ajv.compile({ ...rest, $id: id });
}

const base: PayloadInput = {
  deliveryId: '3f2b1c4d-5e6f-5a7b-8c9d-0e1f2a3b4c5d',
  event: 'awaitingApproval',
  occurredAt: TEST_START_INSTANT,
  migrationId: 'e3-e5-wave-1',
  status: 'awaitingApproval',
  counts: { total: 35, toChange: 28, done: 7, moved: 0, skipped: 0, failed: 0, blocked: 7 },
  baseUrl: 'https://func-abc.azurewebsites.net',
  plan: {
    total: 35,
    toChange: 28,
    skipped: 0,
    blocked: 7,
    moves: [{ move: 0, label: 'Office 365 E5 → Office 365 E3', from: 'ENTERPRISEPREMIUM', to: 'ENTERPRISEPACK' }],
    seats: [{ skuId: '6fd2c87f-b296-42f0-b197-1e91e994b900', name: 'Office 365 E3', needed: 28 }],
    dataLoss: [{ move: 0, from: 'ENTERPRISEPREMIUM', to: 'ENTERPRISEPACK', plans: ['EXCHANGE_ANALYTICS'] }],
    lostPlans: 6,
    needsDataLossAcknowledgement: false,
  },
};

describe('Teams notifications (Adaptive Card for a Workflows webhook)', () => {
  const validate = validator();

  it.each(NOTIFY_EVENTS.map((event) => [event]))(
    'the card for %s validates against the schema of the version it declares',
    (event) => {
      const input: PayloadInput = {
        ...base,
        event,
        status: event,
        ...(event === 'waitingForLicenses'
          ? {
              reason:
                'need 28, 5 free: buy 23 more Office 365 E3 licenses (https://admin.microsoft.com/#/subscriptions)',
            }
          : {}),
      };
      const message = teamsMessage(notificationPayload(input));
      expect(message.type).toBe('message');
      expect(message.attachments).toHaveLength(1);
      const card = message.attachments[0]!.content;
      expect(card.version).toBe(ADAPTIVE_CARD_VERSION);
      expect(schema.id).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
      const valid = validate(card);
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    },
  );

  it('shows status, counts, the reason and the action links a person needs', () => {
    const card = teamsMessage(
      notificationPayload({
        ...base,
        event: 'waitingForLicenses',
        status: 'waitingForLicenses',
        reason: 'need 28, 5 free: buy 23 more Office 365 E3 licenses',
      }),
    ).attachments[0]!.content;
    const text = JSON.stringify(card.body);
    expect(text).toContain('is waiting for licenses');
    expect(text).toContain('buy 23 more Office 365 E3 licenses');
    expect(text).toContain('"title":"Users","value":"35 (28 to change)"');
    expect(card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Status',
        url: 'https://func-abc.azurewebsites.net/api/migrations/e3-e5-wave-1',
      },
      {
        type: 'Action.OpenUrl',
        title: 'Report',
        url: 'https://func-abc.azurewebsites.net/api/migrations/e3-e5-wave-1/report',
      },
      {
        type: 'Action.OpenUrl',
        title: 'Open the status page',
        url: 'https://func-abc.azurewebsites.net/api/dashboard',
      },
    ]);
    const approval = JSON.stringify(teamsMessage(notificationPayload(base)).attachments[0]!.content.body);
    expect(approval).toContain('Office 365 E5 → Office 365 E3');
    expect(approval).toContain('28 seats needed');
    expect(approval).toContain('loses services that hold data: EXCHANGE_ANALYTICS');
  });

  it('a card that breaks the schema is caught (the validator is not vacuous)', () => {
    const card = teamsMessage(notificationPayload(base)).attachments[0]!.content;
    expect(validate({ ...card, body: [{ type: 'TextBlock' }] })).toBe(false);
    expect(validate({ ...card, actions: [{ type: 'Action.OpenUrl', title: 'x' }] })).toBe(false);
  });
});
