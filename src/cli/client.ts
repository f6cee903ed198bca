/**
 * The CLI's way to the server: the HTTP API, with the function key in the x-functions-key header (never in the URL,
 * where shells and proxies log it). A refused call becomes a CliError carrying the problem document's words.
 */

export interface FieldProblem {
  field: string;
  message: string;
}

/** What the CLI tells the user when the API refuses or cannot be reached; its exit code is 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly status?: number,
    readonly errors: FieldProblem[] = [],
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  key?: string;
  /** A bearer token App Service authentication accepts (API_AUTH=appService). */
  token?: string;
  /** The tenant every tenant-scoped call acts in (--tenant); absent: the deployment's home tenant. */
  tenant?: string;
  fetch?: typeof fetch;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
  text: string;
  contentType: string;
}

function describeProblem(status: number, text: string): CliError {
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string; errors?: FieldProblem[] };
    const words = [problem.title, problem.detail].filter((part) => part).join(': ');
    return new CliError(`${status} ${words || text}`, status, Array.isArray(problem.errors) ? problem.errors : []);
  } catch {
    return new CliError(`${status} ${text || 'no answer body'}`, status);
  }
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly key: string | undefined;
  private readonly token: string | undefined;
  private readonly tenant: string | undefined;
  private readonly fetch: typeof fetch;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.key = options.key;
    this.token = options.token;
    this.tenant = options.tenant?.trim() || undefined;
    this.fetch = options.fetch ?? fetch;
  }

  /**
   * The URL of an API path (paths start with /api/), with `tenantId` of --tenant: every route but the registry's own
   * takes it. A path that names its tenant already (a run's links do) keeps it.
   */
  url(path: string): string {
    if (!this.tenant || path.startsWith('/api/tenants') || /[?&]tenantId=/.test(path)) return `${this.baseUrl}${path}`;
    const joiner = path.includes('?') ? '&' : '?';
    return `${this.baseUrl}${path}${joiner}tenantId=${encodeURIComponent(this.tenant)}`;
  }

  async call<T>(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { accept };
    if (this.key) headers['x-functions-key'] = this.key;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(this.url(path), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CliError(
        `Cannot reach ${this.baseUrl} (${cause}). Is the app running (npm start), and is --url right?`,
      );
    }
    const text = await response.text();
    if (response.status === 401) {
      throw new CliError(
        `401 The API wants a function key (LICENSE_SHIFT_KEY or --key), or with API_AUTH=appService a signed-in token (LICENSE_SHIFT_TOKEN).${text ? ` ${text}` : ''}`,
        401,
      );
    }
    if (!response.ok) throw describeProblem(response.status, text);
    const contentType = response.headers.get('content-type') ?? '';
    const parsed = contentType.includes('json') && text ? (JSON.parse(text) as T) : (text as T);
    return { status: response.status, body: parsed, text, contentType };
  }

  async get<T>(path: string): Promise<T> {
    return (await this.call<T>('GET', path)).body;
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    return (await this.call<T>('POST', path, body ?? {})).body;
  }
}

export const runPath = (id: string, rest = '') => `/api/migrations/${encodeURIComponent(id)}${rest}`;
