/** What a run says while and after it moves users through groups (docs/group-moves.md). Pure. */
import type { GroupUnitRef } from './group-plan';
import type { GroupStep, GroupUnitStatus } from './workflow';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "waiting for group processing: 180 of 250 members done, 3 with errors" and one line per group still busy. */
export function groupWaitReasons(units: readonly GroupUnitRef[], statuses: readonly GroupUnitStatus[]): string[] {
  const total = statuses.reduce((sum, status) => sum + status.total, 0);
  const reached = statuses.reduce((sum, status) => sum + status.reached, 0);
  const errors = statuses.reduce((sum, status) => sum + status.failed + status.waitingForSeats, 0);
  const seats = statuses.reduce((sum, status) => sum + status.waitingForSeats, 0);
  const step = statuses[0]?.step ?? 'addTarget';
  const verb = step === 'addTarget' ? 'done' : 'finished';
  const lines = [`waiting for group processing: ${reached} of ${total} members ${verb}, ${errors} with errors`];
  for (const status of statuses) {
    if (status.settled) continue;
    const name = units.find((unit) => unit.unit === status.unit)?.groupName ?? `unit ${status.unit}`;
    const processing = status.processing ? ` (${status.processing})` : '';
    const waiting =
      status.waitingForSeats > 0
        ? `, ${plural(status.waitingForSeats, 'member')} waiting for free licenses (CountViolation)`
        : '';
    lines.push(`group ${name}${processing}: ${status.reached} of ${status.total} ${stepWords(step)}${waiting}`);
  }
  if (seats > 0) lines.push('members in CountViolation get the license once seats are free: buy more or free some up');
  return lines;
}

function stepWords(step: GroupStep): string {
  return step === 'addTarget' ? 'hold the new license' : 'done';
}

/** Notes for the run's final message: groups that kept both products, users that did not finish. */
export function groupEndNotes(units: readonly GroupUnitRef[], statuses: readonly GroupUnitStatus[]): string[] {
  const notes: string[] = [];
  for (const status of statuses) {
    const unit = units.find((candidate) => candidate.unit === status.unit);
    if (!unit || status.notFinished === 0) continue;
    notes.push(
      unit.kind === 'product'
        ? `Group ${unit.groupName} kept both products: ${plural(status.failed, 'member')} did not get the new one (see the report).`
        : `${plural(status.notFinished, 'user')} of group ${unit.groupName} did not finish (see the report).`,
    );
  }
  return notes;
}

export function cancelledInGroups(moved: number, open: number): string {
  return `Cancelled during group moves: ${moved} moved before the cancel; ${open} left where they were (each report row says where: nobody lost a license).`;
}
