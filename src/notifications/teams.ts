/**
 * The `teams` format: a message for a Teams Workflows webhook ("When a Teams webhook request is received"), whose
 * post-a-card step reads the first attachment's content. The card is an Adaptive Card 1.4 (Teams renders up to 1.5)
 * built from TextBlock, FactSet and Action.OpenUrl only; tests validate it against the schema of that version
 * (data/adaptive-card-1.4.0.schema.json).
 */
import type { NotificationPayload } from './payload';
import { headline } from './payload';

export const ADAPTIVE_CARD_VERSION = '1.4';
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: string;
  body: Record<string, unknown>[];
  actions?: Record<string, unknown>[];
}

export interface TeamsMessage {
  type: 'message';
  attachments: { contentType: string; contentUrl: null; content: AdaptiveCard }[];
}

const STATUS_COLOR: Record<string, string> = {
  completed: 'Good',
  completedWithErrors: 'Warning',
  needsAttention: 'Attention',
  failed: 'Attention',
  cancelled: 'Warning',
  awaitingApproval: 'Accent',
  waitingForLicenses: 'Warning',
};

const text = (value: string, extra: Record<string, unknown> = {}) => ({
  type: 'TextBlock',
  text: value,
  wrap: true,
  ...extra,
});
const facts = (pairs: [string, string][]) => ({
  type: 'FactSet',
  facts: pairs.map(([title, value]) => ({ title, value })),
});

function countFacts(payload: NotificationPayload): [string, string][] {
  const { counts, status } = payload.migration;
  return [
    ['Status', status],
    ['Users', `${counts.total} (${counts.toChange} to change)`],
    ['Moved', String(counts.moved)],
    ['Failed', String(counts.failed)],
    ['Skipped', String(counts.skipped)],
    ['Blocked', String(counts.blocked)],
  ];
}

function planBlocks(payload: NotificationPayload): Record<string, unknown>[] {
  const plan = payload.plan;
  if (!plan) return [];
  const blocks: Record<string, unknown>[] = [text('Plan', { weight: 'Bolder', spacing: 'Medium' })];
  blocks.push(facts(plan.moves.map((move) => [`Move ${move.move + 1}`, move.label])));
  if (plan.seats.length > 0) blocks.push(facts(plan.seats.map((seat) => [seat.name, `${seat.needed} seats needed`])));
  for (const loss of plan.dataLoss) {
    blocks.push(
      text(`${loss.from} → ${loss.to} loses services that hold data: ${loss.plans.join(', ')}`, { color: 'Attention' }),
    );
  }
  return blocks;
}

const ACTION_TITLES: [keyof NonNullable<NotificationPayload['links']>, string][] = [
  ['status', 'Status'],
  ['report', 'Report'],
  ['dashboard', 'Open the status page'],
  ['rollbackOf', 'Original run'],
  ['retryOf', 'Original run'],
];

/** The card: headline, the reason or message, counts, the plan (approval) and links to open. */
export function teamsCard(payload: NotificationPayload): AdaptiveCard {
  const body: Record<string, unknown>[] = [
    text(headline(payload), { size: 'Medium', weight: 'Bolder', color: STATUS_COLOR[payload.event] ?? 'Default' }),
  ];
  const reason = payload.migration.reason ?? payload.migration.message;
  if (reason) body.push(text(reason));
  body.push(facts(countFacts(payload)));
  body.push(...planBlocks(payload));
  if (payload.event === 'awaitingApproval') {
    body.push(
      text('Approve or reject on the status page (or POST to the approve / reject links of the status).', {
        isSubtle: true,
      }),
    );
  }
  body.push(text(`Delivery ${payload.deliveryId} · ${payload.occurredAt}`, { isSubtle: true, size: 'Small' }));
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: ADAPTIVE_CARD_VERSION,
    body,
  };
  const links = payload.links;
  if (links) {
    card.actions = ACTION_TITLES.flatMap(([name, title]) =>
      links[name] ? [{ type: 'Action.OpenUrl', title, url: links[name] }] : [],
    );
  }
  return card;
}

export function teamsMessage(payload: NotificationPayload): TeamsMessage {
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: teamsCard(payload) }],
  };
}
