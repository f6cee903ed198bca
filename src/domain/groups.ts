/**
 * Groups as group-based licensing sees them (issue #13): what Graph says about a group, whether its membership can be
 * written, and what a member's license-assignment error means. Pure data and rules.
 *
 * Sources: Microsoft Graph group resource (groupTypes, membershipRule, onPremisesSyncEnabled, isAssignableToRole,
 * licenseProcessingState), Microsoft Entra "Identify and resolve license assignment problems for a group" and
 * Microsoft's troubleshooting article "403 error when adding a user to a group by using Microsoft Graph API".
 */
import type { AssignedLicense, OtherString } from './types';

export type LicenseProcessingState = 'QueuedForProcessing' | 'ProcessingInProgress' | 'ProcessingComplete';

/** A group, narrowed to what group-based moves read. */
export interface GroupFacts {
  id: string;
  displayName: string;
  /** `DynamicMembership`: members come from a rule; `Unified`: a Microsoft 365 group. */
  groupTypes: string[];
  membershipRule: string | null;
  /** true when synced from on-premises Active Directory (membership is managed there). */
  onPremisesSyncEnabled: boolean | null;
  isAssignableToRole: boolean;
  assignedLicenses: AssignedLicense[];
  /** null when Graph did not say (a group that never had licenses). */
  licenseProcessingState: LicenseProcessingState | OtherString | null;
}

/** Why license-shift will not write a group's membership. */
export type MembershipRefusal = 'dynamic' | 'synced' | 'roleAssignable';

export function membershipRefusal(group: GroupFacts): MembershipRefusal | undefined {
  if (group.groupTypes.some((type) => type.toLowerCase() === 'dynamicmembership')) return 'dynamic';
  if (group.onPremisesSyncEnabled === true) return 'synced';
  if (group.isAssignableToRole) return 'roleAssignable';
  return undefined;
}

/** "group Lic – Business Premium (1f…)", for reasons. */
export function groupLabel(group: Pick<GroupFacts, 'id' | 'displayName'>): string {
  return group.displayName ? `group "${group.displayName}" (${group.id})` : `group ${group.id}`;
}

/** Why the membership of this group cannot be changed by license-shift, in plain words with what to do instead. */
export function refusalReason(group: GroupFacts, refusal: MembershipRefusal, action: 'add to' | 'remove from'): string {
  const label = groupLabel(group);
  switch (refusal) {
    case 'dynamic':
      return (
        `${label} has dynamic membership (rule ${group.membershipRule ?? 'not shown'}): its members come from the rule and ` +
        `cannot be changed over Graph, so license-shift cannot ${action} it. Change the user's attributes or the rule, or pick an assigned group`
      );
    case 'synced':
      return (
        `${label} is synced from on-premises Active Directory: its membership is managed there and Graph refuses to change it, ` +
        `so license-shift cannot ${action} it. Change the membership on-premises (Microsoft Entra Connect syncs it), or pick a cloud group`
      );
    case 'roleAssignable':
      return (
        `${label} can be assigned to Microsoft Entra roles: changing its members also needs RoleManagement.ReadWrite.Directory, ` +
        `which license-shift does not hold, so it cannot ${action} it. Pick a group that is not role-assignable`
      );
  }
}

/** A member's `licenseAssignmentStates` error for a group assignment, with its documented meaning and what to do. */
export interface MemberErrorMeaning {
  code: string;
  meaning: string;
  action: string;
  /** True when buying or freeing licenses fixes it: the run waits for seats instead of giving up on the member. */
  waitsForSeats: boolean;
}

const MEANINGS: Record<string, Omit<MemberErrorMeaning, 'code'>> = {
  CountViolation: {
    meaning: 'there were not enough free licenses of the product when the group was processed',
    action:
      'buy more licenses or free some up in the Microsoft 365 admin center; group licensing assigns it once seats are free (the run waits for them until its deadline)',
    waitsForSeats: true,
  },
  MutuallyExclusiveViolation: {
    meaning: 'the product has a service plan that cannot be held together with a plan of another license the user has',
    action:
      "remove the conflicting license from the user, or switch the clashing plan off in the group's license, then run the migration again",
    waitsForSeats: false,
  },
  DependencyViolation: {
    meaning:
      'a service plan depends on another plan the user would not have (or removing a license would break a product that depends on it)',
    action:
      'give the user the prerequisite product (or remove the dependent add-on first), then run the migration again',
    waitsForSeats: false,
  },
  ProhibitedInUsageLocationViolation: {
    meaning:
      "the user has no usage location (and the tenant has no default), or the product is not available in the user's location",
    action:
      "set the user's usage location (or give the request a usageLocation), then run the migration again; group licensing retries the member",
    waitsForSeats: false,
  },
  UniquenessViolation: {
    meaning: 'a proxy address of the user is already used by another object, so Exchange Online could not be set up',
    action: 'fix the duplicate proxy address, then run the migration again',
    waitsForSeats: false,
  },
  Other: {
    meaning: 'another license from the same group could not be assigned, and a group assigns all its licenses or none',
    action: "fix the error on the group's other license for this user, then run the migration again",
    waitsForSeats: false,
  },
};

export function memberErrorMeaning(code: string): MemberErrorMeaning {
  const known = MEANINGS[code];
  if (known) return { code, ...known };
  return {
    code,
    meaning: `group licensing recorded the error ${code} on the user`,
    action:
      "look at the user's licenses in the Microsoft 365 admin center, fix the cause, then run the migration again",
    waitsForSeats: false,
  };
}
