import WebSocket, { type RawData } from 'ws';
import { decodeObjectRequest, type ObjectReply, type ObjectRequest } from '@ifreg/contracts';
import { backoffDelay, type Logger } from '@ifreg/platform';
import type { ProviderObjectChannel } from './object-channel';

export interface WebSocketObjectChannelOptions {
  /** The service's base URL, e.g. http://127.0.0.1:8080 (any query replica or the all-in-one). */
  readonly url: string;
  readonly scope: string;
  readonly providerId: string;
  /** Sent as `Authorization: Bearer <token>`: holding a provider's stream is a write. */
  readonly token?: string;
  readonly log: Logger;
  /** Longest pause between reconnection attempts (default 5 s). */
  readonly maxBackoffMs?: number;
}

/** The service's path of a provider's object stream. */
export const providerStreamPath = (scope: string, providerId: string): string =>
  `/v1/scopes/${encodeURIComponent(scope)}/providers/${encodeURIComponent(providerId)}/objects`;

/**
 * Object requests over HTTP: the provider holds a WebSocket open to the service, requests come
 * down it and answers go up it. It reconnects with back-off when the service goes away (a
 * request sent meanwhile times out at the caller). `open()` resolves once the service has
 * attached the provider, so a request sent after it reaches the provider; or, when the service
 * cannot be reached, after the first attempt (it goes on trying: an agent starts without it).
 */
export class WebSocketObjectChannel implements ProviderObjectChannel {
  private socket: WebSocket | undefined;
  private closed = false;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private refusedWith = 0;
  /** Times the service confirmed the attachment (1 + reconnections). */
  attachments = 0;

  constructor(private readonly options: WebSocketObjectChannelOptions) {}

  open(handle: (request: ObjectRequest) => void): Promise<void> {
    this.closed = false;
    return new Promise((resolve) => this.connect(handle, resolve));
  }

  async reply(_request: ObjectRequest, reply: ObjectReply): Promise<void> {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) throw new Error('the object stream to the service is not open');
    await new Promise<void>((resolve, reject) => socket.send(JSON.stringify(reply), (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1000, 'provider stopping');
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2000).unref();
    });
  }

  private connect(handle: (request: ObjectRequest) => void, opened?: () => void): void {
    const { url, scope, providerId, token, log } = this.options;
    const target = `${url.replace(/^http/, 'ws').replace(/\/+$/, '')}${providerStreamPath(scope, providerId)}`;
    const socket = new WebSocket(target, { headers: token ? { authorization: `Bearer ${token}` } : {}, handshakeTimeout: 10_000 });
    this.socket = socket;
    let first = opened;
    socket.on('message', (data) => {
      const text = textOf(data);
      const kind = typeOf(text);
      if (kind === 'ProviderAttached') {
        this.attempts = 0;
        this.refusedWith = 0;
        this.attachments++;
        first?.();
        first = undefined;
        return;
      }
      if (kind === 'ReplyRefused') {
        log.warn({ refusal: text.slice(0, 500) }, 'the service refused an object reply');
        return;
      }
      const decoded = decodeObjectRequest(text);
      if (decoded.ok) handle(decoded.value);
      else log.warn({ reason: decoded.reason }, 'skipping unreadable object request');
    });
    socket.on('unexpected-response', (_request, response) => {
      // 401/403/404 do not change by retrying soon: say so, and retry at the longest pause.
      const status = response.statusCode ?? 0;
      if (status !== this.refusedWith) log.warn({ status, url: target }, 'the service refused the object stream; object requests cannot reach this provider');
      this.refusedWith = status;
      if (status >= 400 && status < 500) this.attempts = 16;
      socket.terminate();
    });
    socket.on('error', (error) => log.debug({ err: error }, 'object stream error'));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      first?.();
      first = undefined;
      if (this.closed) return;
      const delay = backoffDelay(this.attempts++, { minMs: 250, maxMs: this.options.maxBackoffMs ?? 5000 });
      log.info({ retryInMs: delay }, 'object stream to the service closed, reconnecting');
      this.timer = setTimeout(() => this.connect(handle, first), delay);
    });
  }
}

function typeOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { type?: unknown } | null)?.type;
  } catch {
    return undefined;
  }
}

/** A WebSocket message as text, whichever of ws's shapes it came in. */
const textOf = (data: RawData): string => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
