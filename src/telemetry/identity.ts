import { readSetting } from '../config/settings';

export interface UserIdentity extends Record<string, string | undefined> {
  userId: string;
  userPrincipalName?: string;
}

/**
 * How a user is named in telemetry: the object id always, the UPN (personal data) only when the operator allows it
 * with TELEMETRY_INCLUDE_UPN=true.
 */
export function userIdentity(env: NodeJS.ProcessEnv, user: { id: string; userPrincipalName: string }): UserIdentity {
  const identity: UserIdentity = { userId: user.id };
  if (readSetting(env, 'TELEMETRY_INCLUDE_UPN')?.toLowerCase() === 'true') {
    identity.userPrincipalName = user.userPrincipalName;
  }
  return identity;
}
