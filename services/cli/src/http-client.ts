import { CliError, HttpError, UnreachableError } from './errors';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface ClientOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly token?: string;
  /** Bound of each request (not of a watch stream). */
  readonly timeoutMs: number;
}

/** The little the CLI needs of the HTTP API: JSON in and out, errors as one readable line. */
export class IfregClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  async get<T>(path: string, query: Query = {}): Promise<T> {
    return (await this.request<T>('GET', path, query)).body;
  }

  /** Answers the status too: a write's 400 still carries the outcome the registry recorded. */
  async post<T>(path: string, body: unknown, query: Query = {}): Promise<{ readonly status: number; readonly body: T }> {
    return this.request<T>('POST', path, query, body);
  }

  async put<T>(path: string, body: unknown, query: Query = {}): Promise<T> {
    return (await this.request<T>('PUT', path, query, body)).body;
  }

  /** A long-lived GET (server-sent events); the caller reads the body and aborts it. */
  async stream(path: string, query: Query, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<Response> {
    const response = await this.fetch(path, query, { headers: { accept: 'text/event-stream', ...this.auth(), ...headers }, signal });
    if (!response.ok) throw await httpError(response);
    return response;
  }

  private async request<T>(method: string, path: string, query: Query, body?: unknown): Promise<{ status: number; body: T }> {
    const init: RequestInit = {
      method,
      headers: { accept: 'application/json', ...this.auth(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      signal: AbortSignal.timeout(this.options.timeoutMs),
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    };
    const response = await this.fetch(path, query, init);
    // A write refused with 400 still tells what was recorded: the caller decides.
    if (!response.ok && !(method === 'POST' && response.status === 400)) throw await httpError(response);
    return { status: response.status, body: (await readJson(response)) as T };
  }

  private async fetch(path: string, query: Query, init: RequestInit): Promise<Response> {
    const url = new URL(`${this.base}${path}`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    try {
      return await fetch(url, init);
    } catch (error) {
      // By name: the DOMException of an aborted signal may come from another realm (not instanceof Error).
      const name = (error as { name?: unknown } | undefined)?.name;
      if (name === 'TimeoutError') throw new CliError(`ifreg at ${this.base} did not answer within ${this.options.timeoutMs} ms`);
      if (name === 'AbortError') throw error;
      // undici: TypeError('fetch failed') with the socket error (ECONNREFUSED, ENOTFOUND…) as cause.
      throw new UnreachableError(this.base);
    }
  }

  private auth(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }
}

/** Path segments are the user's words: escape them. */
export const segment = (value: string | number): string => encodeURIComponent(String(value));

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`ifreg answered ${response.status} with something that is not JSON: ${text.slice(0, 120)}`);
  }
}

async function httpError(response: Response): Promise<HttpError> {
  const text = await response.text().catch(() => '');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (a proxy's error page?): the status and the text say enough
  }
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const reason = typeof fields['reason'] === 'string' ? fields['reason'] : typeof fields['message'] === 'string' ? fields['message'] : text.slice(0, 200) || response.statusText;
  const code = typeof fields['error'] === 'string' ? fields['error'] : undefined;
  return new HttpError(response.status, code, reason, body);
}
