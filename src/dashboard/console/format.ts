/** Numbers, instants and durations as an admin reads them, in the browser's language and time zone. */
import { now } from './time';

const numberFormat = new Intl.NumberFormat();

export const formatNumber = (value: number): string => numberFormat.format(value);

export function formatInstant(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** "3 min ago", "in 2 h". */
export function relative(iso: string | undefined): string {
  if (!iso) return '';
  const seconds = (Date.parse(iso) - now()) / 1000;
  if (Number.isNaN(seconds)) return '';
  return seconds >= 0 ? `in ${formatDuration(seconds)}` : `${formatDuration(-seconds)} ago`;
}

const STATUS_WORDS: Record<string, string> = {
  pending: 'Pending',
  planning: 'Planning',
  awaitingApproval: 'Awaiting approval',
  waitingForLicenses: 'Waiting for licenses',
  reassigning: 'Reassigning',
  verifying: 'Verifying',
  cleaningUp: 'Cleaning up',
  completed: 'Completed',
  completedWithErrors: 'Completed with errors',
  needsAttention: 'Needs attention',
  cancelled: 'Cancelled',
  rejected: 'Rejected',
  failed: 'Failed',
  active: 'Active',
  paused: 'Paused',
  finished: 'Finished',
};

export const statusWords = (status: string): string => STATUS_WORDS[status] ?? status;

const BLOCK_WORDS: Record<string, string> = {
  inheritedFromGroup: 'License comes from a group',
  noUsageLocation: 'No usage location',
  foreignDomain: 'Guest or unverified domain',
  accountDisabled: 'Account disabled',
  userNotFound: 'User not found',
  sourceNotHeld: 'Does not hold the source',
  conflictingLicense: 'Conflicting license',
};

export const blockWords = (code: string | undefined): string => (code ? (BLOCK_WORDS[code] ?? code) : '');

/** Splits a reason into text and the links it names, so "(https://admin.microsoft.com/…)" can be a real link. */
export function linkParts(text: string): { text: string; href?: string }[] {
  const parts: { text: string; href?: string }[] = [];
  let rest = text;
  const pattern = /https:\/\/[^\s)]+/;
  for (let match = pattern.exec(rest); match; match = pattern.exec(rest)) {
    if (match.index > 0) parts.push({ text: rest.slice(0, match.index) });
    parts.push({ text: match[0], href: match[0] });
    rest = rest.slice(match.index + match[0].length);
  }
  if (rest) parts.push({ text: rest });
  return parts;
}
