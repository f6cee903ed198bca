/**
 * The signed-in caller, from App Service authentication ("Easy Auth"). When it is on, the platform signs users in
 * and injects `X-MS-CLIENT-PRINCIPAL` (base64 JSON: `auth_typ`, `claims: [{ typ, val }]`, `name_typ`, `role_typ`),
 * `X-MS-CLIENT-PRINCIPAL-NAME`, `-ID` and `-IDP`; external requests cannot set them (Microsoft Learn, "Work with
 * user identities in Azure App Service authentication"). Without it anyone could send those headers, so they are read
 * only when the platform says authentication is on (WEBSITE_AUTH_ENABLED, see ApprovalSettings).
 */
import type { HttpRequest } from '@azure/functions';
import type { Principal } from '../domain/approval';
import { isRecord } from '../domain/values';

const UPN_CLAIMS = new Set([
  'upn',
  'preferred_username',
  'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
]);
const ID_CLAIMS = new Set(['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier']);
const GROUP_CLAIMS = new Set(['groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups']);
/** Group overage: the token says the user is in more groups than it lists (`_claim_names` / `hasgroups`). */
const OVERAGE_CLAIMS = new Set(['_claim_names', '_claim_sources', 'hasgroups']);

interface Claim {
  typ: string;
  val: string;
}

function claimsOf(header: string | null): Claim[] | undefined {
  if (!header) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
    if (!isRecord(decoded) || !Array.isArray(decoded.claims)) return undefined;
    return decoded.claims.filter(
      (claim): claim is Claim => isRecord(claim) && typeof claim.typ === 'string' && typeof claim.val === 'string',
    );
  } catch {
    return undefined;
  }
}

/** The principal, or undefined when nobody is signed in or the headers are not to be trusted. */
export function principalOf(request: HttpRequest, trusted: boolean): Principal | undefined {
  if (!trusted) return undefined;
  const name = request.headers.get('x-ms-client-principal-name')?.trim() || undefined;
  const headerId = request.headers.get('x-ms-client-principal-id')?.trim() || undefined;
  const idp = request.headers.get('x-ms-client-principal-idp')?.trim() || undefined;
  const claims = claimsOf(request.headers.get('x-ms-client-principal'));
  if (!name && !headerId && !claims) return undefined;
  const values = (types: Set<string>) =>
    (claims ?? []).filter((claim) => types.has(claim.typ.toLowerCase())).map((claim) => claim.val.trim());
  const groups = values(GROUP_CLAIMS).map((group) => group.toLowerCase());
  const overage = (claims ?? []).some(
    (claim) =>
      OVERAGE_CLAIMS.has(claim.typ.toLowerCase()) && (claim.typ !== '_claim_names' || claim.val.includes('groups')),
  );
  const id = headerId ?? values(ID_CLAIMS)[0];
  const principal: Principal = {
    upns: [...new Set(values(UPN_CLAIMS).map((upn) => upn.toLowerCase()))],
    groups,
    groupsComplete: groups.length > 0 && !overage,
  };
  if (name) principal.name = name;
  if (id) principal.id = id;
  if (idp) principal.idp = idp;
  return principal;
}
