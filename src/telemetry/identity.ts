export interface UserIdentity extends Record<string, string | undefined> {
  userId: string;
  userPrincipalName?: string;
}

/**
 * How a user is named in telemetry: the object id always, the UPN (personal data) only when the operator allows it
 * with TELEMETRY_INCLUDE_UPN=true.
 */
export function userIdentity(includeUpn: boolean, user: { id: string; userPrincipalName: string }): UserIdentity {
  const identity: UserIdentity = { userId: user.id };
  if (includeUpn) identity.userPrincipalName = user.userPrincipalName;
  return identity;
}
