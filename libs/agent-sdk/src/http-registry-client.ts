import { eventProblem, isRegistryEvent } from '@ifreg/contracts';
import type { Outcome } from '@ifreg/ports';
import { SpanKind } from '@opentelemetry/api';
import { activeTracer, traceCarrierOfSpan } from '@ifreg/platform';
import { RegistryRejectedError, RegistryTimeoutError, RegistryUnavailableError, UnexpectedOutcomeError } from './errors';
import { DEFAULT_TIMEOUT_MS, type RegistryClient, type SendOptions, type WireMessage } from './registry-client';

export interface HttpRegistryClientOptions {
  /** The service's base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  /** How long the service waits for the outcome (it caps this at its own maximum). */
  /** Default wait for an outcome when a send gives none (10 s). */
  readonly timeoutMs?: number;
  /** Added to `timeoutMs` before the request itself is abandoned (a hung connection). */
  readonly networkSlackMs?: number;
}

/** The HTTP ingest endpoint's upper bound for `timeoutMs`. */
const MAX_SERVER_WAIT_MS = 60_000;

/** POST /v1/messages?wait=true (DESIGN.md §2.9): one request per message, the outcome as the answer. */
export class HttpRegistryClient implements RegistryClient {
  private readonly endpoint: string;
  private readonly tracer = activeTracer('ifreg-agent');

  constructor(private readonly options: HttpRegistryClientOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/v1/messages`;
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  async send(message: WireMessage, options: SendOptions = {}): Promise<Outcome> {
    const waitMs = Math.max(1, Math.min(options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, MAX_SERVER_WAIT_MS));
    const { status, body } = await this.post(message, waitMs);
    switch (true) {
      case status === 200:
        return outcomeOf(body, message.messageId);
      case status === 400 && isObject(body['outcome']):
        // A schema violation with a readable scope: refused here and recorded as RegistrationFailed.
        return outcomeOf(body['outcome'], message.messageId);
      case status === 504:
        throw new RegistryTimeoutError(message.messageId, waitMs, reasonOf(body, 'the service timed out'));
      case status >= 400 && status < 500:
        throw new RegistryRejectedError(reasonOf(body, 'no reason given'), status, typeof body['error'] === 'string' ? body['error'] : undefined);
      default:
        throw new RegistryUnavailableError(`unexpected HTTP ${status} from ${this.options.url}: ${reasonOf(body, 'no reason given')}`);
    }
  }

  private async post(message: WireMessage, waitMs: number): Promise<{ status: number; body: Record<string, unknown> }> {
    // The request carries the send's span as traceparent: the service's request span continues it.
    const span = this.tracer?.startSpan(`agent send ${message.type}`, { kind: SpanKind.CLIENT, attributes: { 'ifreg.scope': message.scope, 'ifreg.message_id': message.messageId } });
    try {
      return await this.request(message, waitMs, span ? traceCarrierOfSpan(span) : {});
    } finally {
      span?.end();
    }
  }

  private async request(message: WireMessage, waitMs: number, trace: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const limitMs = waitMs + (this.options.networkSlackMs ?? 5_000);
    let response: Response;
    try {
      response = await fetch(`${this.endpoint}?wait=true&timeoutMs=${waitMs}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...trace,
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(limitMs),
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TimeoutError') {
        throw new RegistryTimeoutError(message.messageId, limitMs, `no HTTP answer from ${this.options.url}`);
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new RegistryUnavailableError(`cannot reach ${this.options.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    return { status: response.status, body: parseObject(text) };
  }
}

function outcomeOf(value: unknown, messageId: string): Outcome {
  const { position, ...event } = isObject(value) ? value : {};
  if (typeof position !== 'number' || !isRegistryEvent(event)) {
    const problem = typeof position === 'number' ? eventProblem(event) : 'no position';
    throw new RegistryUnavailableError(`the service answered message ${messageId} without an outcome event (${problem})`);
  }
  if (event.causationId !== messageId) throw new UnexpectedOutcomeError(`an outcome caused by ${messageId}`, `one caused by ${event.causationId}`, messageId);
  return { scope: event.scope, event, position };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : {};
  } catch {
    return text ? { reason: text.slice(0, 200) } : {};
  }
}

const reasonOf = (body: Record<string, unknown>, fallback: string): string => (typeof body['reason'] === 'string' ? body['reason'] : fallback);
