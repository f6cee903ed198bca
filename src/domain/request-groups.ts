/**
 * The request rules of group moves (docs/group-moves.md), checked on the raw body next to the others so that every
 * problem is reported with its field:
 *
 * - `{ group, from, to, disabledPlans? }` changes a licensing group's product; its members follow.
 * - `{ from, to, users, assignVia: { group }, sourceGroups? }` gives `to` through a group (from = to converts direct
 *   assignments to group-based ones).
 */
import type { Problem } from './validation';
import { isRecord } from './values';

export function groupMoveProblems(move: Record<string, unknown>, at: string): Problem[] {
  const problems: Problem[] = [];
  if (move.from === undefined) {
    problems.push({
      field: `${at}.from`,
      message:
        move.group !== undefined
          ? 'is required with group: it names the product the group assigns now (the one to replace)'
          : 'is required with assignVia: it names the license users hold now (give the same SKU as to to convert direct assignments to group-based ones)',
    });
  }
  if (move.group !== undefined) problems.push(...productChangeProblems(move, at));
  else problems.push(...assignViaProblems(move, at));
  return problems;
}

function productChangeProblems(move: Record<string, unknown>, at: string): Problem[] {
  const problems: Problem[] = [];
  if (move.users !== undefined) {
    problems.push({
      field: `${at}.users`,
      message: "must not be given with group: a group's product change reaches all of the group's members",
    });
  }
  if (move.assignVia !== undefined) {
    problems.push({
      field: `${at}.assignVia`,
      message:
        'must not be given with group: either change the group\'s product ("group") or move users into a group ("assignVia")',
    });
  }
  if (move.sourceGroups !== undefined) {
    problems.push({ field: `${at}.sourceGroups`, message: 'applies only to moves with assignVia' });
  }
  return problems;
}

function assignViaProblems(move: Record<string, unknown>, at: string): Problem[] {
  const problems: Problem[] = [];
  if (Array.isArray(move.disabledPlans) && move.disabledPlans.length > 0) {
    problems.push({
      field: `${at}.disabledPlans`,
      message:
        "must be empty with assignVia: the group's license decides which service plans are on (switch plans off on the group)",
    });
  }
  if (move.keepDisabledPlans !== undefined) {
    problems.push({
      field: `${at}.keepDisabledPlans`,
      message: "must not be given with assignVia: the group's license decides which service plans are on",
    });
  }
  const via = move.assignVia;
  if (isRecord(via) && move.users === undefined) {
    problems.push({
      field: `${at}.users`,
      message: 'is required with assignVia: it chooses the users to move into the group',
    });
  }
  return problems;
}
