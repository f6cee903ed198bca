/**
 * The console's only way to the server: the HTTP API on this origin. With function keys, every call carries the key
 * the page was opened with (?code=) or the one entered in the console, in the x-functions-key header; with App Service
 * authentication (API_AUTH=appService), the signed-in session's cookie goes along by itself.
 */
import type { FieldProblem, Vocabulary } from './types';

const KEY_STORAGE = 'license-shift-function-key';
const TENANT_STORAGE = 'license-shift-tenant';

/** A refused call: the problem document's title, detail and field problems. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(detail || title);
  }
}

export function vocabulary(): Vocabulary {
  const block = document.getElementById('vocabulary');
  return JSON.parse(block?.textContent ?? '{}') as Vocabulary;
}

let functionKey: string | null = null;

/** The key from ?code= (kept for this tab, so it survives navigation), or one entered earlier in this tab. */
export function initialKey(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get('code');
  if (fromUrl) sessionStorage.setItem(KEY_STORAGE, fromUrl);
  functionKey = fromUrl ?? sessionStorage.getItem(KEY_STORAGE);
  return functionKey;
}

export function setKey(key: string): void {
  functionKey = key.trim() || null;
  if (functionKey) sessionStorage.setItem(KEY_STORAGE, functionKey);
  else sessionStorage.removeItem(KEY_STORAGE);
}

let tenantId: string | null = null;

/** Shows the chosen tenant in the page's address (?tenantId=), so a link or a reload opens the same tenant. */
function showTenantInAddress(): void {
  const url = new URL(window.location.href);
  if (tenantId) url.searchParams.set('tenantId', tenantId);
  else url.searchParams.delete('tenantId');
  window.history.replaceState(window.history.state, '', url.toString());
}

/** The tenant from ?tenantId=, else the one chosen last in this browser; null is the home tenant. */
export function initialTenant(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get('tenantId');
  tenantId = fromUrl || localStorage.getItem(TENANT_STORAGE) || null;
  showTenantInAddress();
  return tenantId;
}

export function currentTenant(): string | null {
  return tenantId;
}

/** Every later call acts in this tenant (null: the home tenant); kept in the address and in this browser. */
export function setTenant(id: string | null): void {
  tenantId = id;
  if (id) localStorage.setItem(TENANT_STORAGE, id);
  else localStorage.removeItem(TENANT_STORAGE);
  showTenantInAddress();
}

/**
 * The path with `tenantId` of the chosen tenant: every tenant-scoped route takes it. The registry's own routes and
 * paths that already name a tenant (a run's links do) are left as they are.
 */
export function inTenant(path: string): string {
  if (!tenantId || !path.startsWith('/api/') || path.startsWith('/api/tenants') || /[?&]tenantId=/.test(path)) {
    return path;
  }
  return `${path}${path.includes('?') ? '&' : '?'}tenantId=${encodeURIComponent(tenantId)}`;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return { ...(functionKey ? { 'x-functions-key': functionKey } : {}), ...extra };
}

async function problemOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string; errors?: FieldProblem[] };
    return new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? text, problem.errors);
  } catch {
    return new ApiError(response.status, response.statusText, text);
  }
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
  location: string | null;
}

export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  extra?: Record<string, string>,
): Promise<ApiAnswer<T>> {
  const response = await fetch(inTenant(path), {
    method,
    headers: headers(body === undefined ? extra : { 'content-type': 'application/json', ...extra }),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (!response.ok) throw await problemOf(response);
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : undefined) as T,
    location: response.headers.get('location'),
  };
}

export const get = async <T>(path: string): Promise<T> => (await call<T>('GET', path)).body;

/** Saves an API answer (a report as JSON or CSV) as a file, with the key in a header rather than in a link. */
export async function download(path: string, fileName: string, accept: string): Promise<void> {
  const response = await fetch(inTenant(path), { headers: headers({ accept }), credentials: 'same-origin' });
  if (!response.ok) throw await problemOf(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "?a=1&b=2" from the parameters that have a value. */
export function query(parameters: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
