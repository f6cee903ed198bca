/**
 * Turning a planned change into the one `assignLicense` call that makes a user hold exactly what the plan says,
 * given what the user holds now. Re-running it after a crash or a retry never doubles or undoes anything.
 */
import type { AssignedLicense, PlannedUser, UserLicenseSnapshot } from './types';

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function holds(user: Pick<UserLicenseSnapshot, 'assignedLicenses'>, skuId: string): AssignedLicense | undefined {
  return user.assignedLicenses.find((license) => same(license.skuId, skuId));
}

function sameSet(a: string[], b: string[]): boolean {
  const left = new Set(a.map((x) => x.toLowerCase()));
  const right = new Set(b.map((x) => x.toLowerCase()));
  return left.size === right.size && [...left].every((x) => right.has(x));
}

/** SKU ids the user holds directly (only those can be removed by `assignLicense`). */
export function directlyHeld(user: UserLicenseSnapshot): Set<string> {
  const direct = new Set<string>();
  const withState = new Set(user.licenseAssignmentStates.map((state) => state.skuId.toLowerCase()));
  for (const state of user.licenseAssignmentStates) {
    if (state.assignedByGroup == null) direct.add(state.skuId.toLowerCase());
  }
  for (const license of user.assignedLicenses) {
    if (!withState.has(license.skuId.toLowerCase())) direct.add(license.skuId.toLowerCase());
  }
  return direct;
}

export type PendingChange =
  { kind: 'alreadyDone' } | { kind: 'assign'; addLicenses: AssignedLicense[]; removeLicenses: string[] };

/**
 * What is still to do for a planned change, given the user's current licenses: add what is missing (or held with
 * other disabled plans), remove what the plan removes and the user still holds directly.
 */
export function pendingChange(
  planned: PlannedUser,
  current: UserLicenseSnapshot,
  phase: 'add' | 'removeLater',
): PendingChange {
  if (planned.decision.kind !== 'change') return { kind: 'alreadyDone' };
  const direct = directlyHeld(current);
  const notYetHeld = (licenses: AssignedLicense[]): AssignedLicense[] =>
    licenses.filter((license) => {
      const held = holds(current, license.skuId);
      return !held || !sameSet(held.disabledPlans, license.disabledPlans);
    });
  if (phase === 'removeLater') {
    // Cleanup: remove the sources and, where the target's clashing plans waited for that, switch them on in the
    // same call.
    const removeLicenses = planned.decision.removeLater.filter((skuId) => direct.has(skuId.toLowerCase()));
    const addLicenses = notYetHeld(planned.decision.addLater ?? []);
    if (addLicenses.length === 0 && removeLicenses.length === 0) return { kind: 'alreadyDone' };
    return { kind: 'assign', addLicenses, removeLicenses };
  }
  const addLicenses = notYetHeld(planned.decision.add);
  const removeLicenses = planned.decision.remove.filter((skuId) => direct.has(skuId.toLowerCase()));
  if (addLicenses.length === 0 && removeLicenses.length === 0) return { kind: 'alreadyDone' };
  // When the targets are already held as planned, removing the rest alone cannot leave the user unlicensed.
  return { kind: 'assign', addLicenses, removeLicenses };
}

/**
 * Stage 5: does the user now hold the target without an assignment error, and (unless removals are deferred to
 * cleanup) no longer hold what was removed? Returns the problem in plain words, or undefined when all is well.
 */
export function verificationProblem(
  planned: PlannedUser,
  current: UserLicenseSnapshot,
  options: { expectRemovedLater: boolean },
  nameOf: (skuId: string) => string,
): string | undefined {
  if (planned.decision.kind !== 'change') return undefined;
  for (const license of planned.decision.add) {
    if (!holds(current, license.skuId)) return `verification found no ${nameOf(license.skuId)} license on the user`;
    const failed = current.licenseAssignmentStates.find(
      (state) =>
        same(state.skuId, license.skuId) &&
        ((state.error != null && state.error !== 'None') || state.state === 'Error'),
    );
    if (failed) return `${nameOf(license.skuId)} is assigned but in error (${failed.error ?? failed.state})`;
  }
  const direct = directlyHeld(current);
  const removed = options.expectRemovedLater
    ? [...planned.decision.remove, ...planned.decision.removeLater]
    : planned.decision.remove;
  for (const skuId of removed) {
    if (direct.has(skuId.toLowerCase())) return `the user still holds ${nameOf(skuId)} directly`;
  }
  return undefined;
}

/** Same SKUs with the same disabled plans, whatever the order and letter case. */
export function sameLicenses(a: readonly AssignedLicense[], b: readonly AssignedLicense[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((license) => {
    const other = b.find((candidate) => same(candidate.skuId, license.skuId));
    return other !== undefined && sameSet(other.disabledPlans, license.disabledPlans);
  });
}

/**
 * A guarded change (`onlyIfHolding`) whose user no longer holds what the plan expected: why it is left alone, in
 * plain words starting "changed since"; undefined when the change may go ahead.
 */
export function changedSince(planned: PlannedUser, current: UserLicenseSnapshot): string | undefined {
  if (planned.decision.kind !== 'change' || planned.decision.onlyIfHolding === undefined) return undefined;
  if (sameLicenses(planned.decision.onlyIfHolding, current.assignedLicenses)) return undefined;
  return 'changed since the original run: when its batch ran it no longer held what it held after that run (someone else changed its licenses); left alone (roll back with force: true to restore it anyway)';
}
