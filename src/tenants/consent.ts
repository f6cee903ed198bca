/**
 * The consent check: asks the tenant for its organization (the smallest read every granted deployment may make).
 * Success means a token was issued in the tenant and Graph accepted it; a refused token or a 401/403 means the
 * customer has not (or no longer) granted admin consent; anything else says nothing, and is recorded as unknown.
 */
import { currentIso, type Clock } from '../clock';
import type { ConsentRecord } from '../domain/tenancy';
import { errorMessage } from '../domain/values';
import { GraphRequestError, type LicensingGraph } from '../graph';

/** Entra's answers for an app the tenant has not consented to (or never installed), as the credential reports them. */
const NOT_CONSENTED = /AADSTS(65001|700016|7000229|500011)\b|consent_required|not consented/i;

/** `graph` is built inside the check: a configuration that cannot reach the tenant is recorded, not thrown. */
export async function checkConsent(graph: () => LicensingGraph, clock: Pick<Clock, 'now'>): Promise<ConsentRecord> {
  const checkedAt = currentIso(clock);
  try {
    await graph().listVerifiedDomains();
    return { status: 'granted', checkedAt };
  } catch (error) {
    const detail = errorMessage(error).slice(0, 1000);
    if (error instanceof GraphRequestError) {
      const { status, code, message } = error.info;
      if (status === 401 || status === 403 || NOT_CONSENTED.test(message) || NOT_CONSENTED.test(code)) {
        return { status: 'notConsented', checkedAt, detail };
      }
    } else if (NOT_CONSENTED.test(detail)) {
      return { status: 'notConsented', checkedAt, detail };
    }
    return { status: 'unknown', checkedAt, detail };
  }
}
