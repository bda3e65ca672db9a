import { randomUUID } from 'node:crypto';
import { SCHEMA_VERSION, type ObjectReply, type ObjectRequest } from '@ifreg/contracts';
import { oidLabel } from '@ifreg/domain';
import { metric, type Logger, type Registry } from '@ifreg/platform';

/** What the registry asks a provider, before it gets its id and deadline. */
export type ObjectRequestDraft = Omit<ObjectRequest, 'type' | 'schemaVersion' | 'requestId' | 'deadline' | 'replyTo'>;

/** A provider attached to this process (its WebSocket, or in-process): delivery must not throw. */
export interface LocalProvider {
  deliver(request: ObjectRequest): void;
}

/** Providers elsewhere (Kafka): the request leaves, its reply comes back through `reply()`. */
export interface RemoteProviders {
  send(request: ObjectRequest): Promise<void>;
}

/** No answer within the bound. */
export class ObjectTimeoutError extends Error {
  constructor(readonly request: ObjectRequest, readonly timeoutMs: number, detail: string) {
    super(`provider ${request.providerId} of scope ${request.scope} did not answer the ${request.operation} of ${oidLabel(request.oid)} within ${timeoutMs} ms${detail}`);
    this.name = 'ObjectTimeoutError';
  }
}

/** Too many requests are waiting in this process: a bound, not a queue that grows. */
export class ObjectBrokerBusyError extends Error {
  constructor(readonly pending: number) {
    super(`${pending} object requests are already waiting for their providers here`);
    this.name = 'ObjectBrokerBusyError';
  }
}

export interface ObjectBrokerOptions {
  readonly log: Logger;
  readonly metrics?: Registry;
  /** Most requests waiting at once (default 10,000). */
  readonly maxPending?: number;
  readonly now?: () => Date;
}

interface Pending {
  readonly request: ObjectRequest;
  readonly resolve: (reply: ObjectReply) => void;
  readonly timer: NodeJS.Timeout;
}

const keyOf = (scope: string, providerId: string): string => `${scope}\u0000${providerId}`;

/**
 * The registry's side of interface objects: routes each request to its provider (attached
 * here, else through the remote route), matches replies to requests by correlation id and
 * refuses a reply that is not the awaited one (another ProviderIfContext, provider, scope or
 * OID, or a request nobody waits for). Every wait is bounded.
 */
export class ObjectBroker {
  private readonly local = new Map<string, LocalProvider>();
  private readonly pending = new Map<string, Pending>();
  private remote: RemoteProviders | undefined;
  private readonly now: () => Date;
  private readonly requests;
  private readonly refused;

  constructor(private readonly options: ObjectBrokerOptions) {
    this.now = options.now ?? (() => new Date());
    const registry = options.metrics;
    this.requests = registry && metric.counter(registry, 'ifreg_object_requests_total', 'OID queries and sets routed to providers', ['operation', 'route', 'result']);
    this.refused = registry && metric.counter(registry, 'ifreg_object_replies_refused_total', 'Replies refused: not for a waiting request, or for another context, provider or OID');
  }

  /** Providers elsewhere are reached through this (Kafka); without it only attached ones are. */
  useRemote(remote: RemoteProviders | undefined): void {
    this.remote = remote;
  }

  /** A provider connected here; the newest connection of a provider wins. Returns the detach function. */
  attach(scope: string, providerId: string, provider: LocalProvider): () => void {
    const key = keyOf(scope, providerId);
    this.local.set(key, provider);
    return () => {
      if (this.local.get(key) === provider) this.local.delete(key);
    };
  }

  isAttached(scope: string, providerId: string): boolean {
    return this.local.has(keyOf(scope, providerId));
  }

  get waiting(): number {
    return this.pending.size;
  }

  /** Asks the provider; resolves with its reply, rejects with ObjectTimeoutError after `timeoutMs`. */
  async request(draft: ObjectRequestDraft, timeoutMs: number): Promise<ObjectReply> {
    const request: ObjectRequest = {
      type: 'ObjectRequest',
      schemaVersion: SCHEMA_VERSION,
      requestId: randomUUID(),
      ...draft,
      deadline: new Date(this.now().getTime() + timeoutMs).toISOString(),
    };
    const local = this.local.get(keyOf(request.scope, request.providerId));
    const route = local ? 'local' : this.remote ? 'remote' : 'none';
    const answer = this.await(request, timeoutMs, route === 'none' ? ': it is not connected to this service, and no other route (Kafka) is configured' : '');
    try {
      if (local) local.deliver(request);
      else if (this.remote) await this.remote.send(request);
    } catch (error) {
      this.drop(request.requestId);
      throw error;
    }
    try {
      const reply = await answer;
      this.requests?.inc({ operation: request.operation, route, result: reply.status });
      return reply;
    } catch (error) {
      this.requests?.inc({ operation: request.operation, route, result: 'timeout' });
      throw error;
    }
  }

  /**
   * A request from another replica for a provider attached here (the Kafka relay): delivered,
   * and its reply resolved like one of ours. Undefined when the provider is not attached here.
   */
  forward(request: ObjectRequest): Promise<ObjectReply> | undefined {
    const local = this.local.get(keyOf(request.scope, request.providerId));
    if (!local || this.pending.has(request.requestId)) return undefined;
    const timeoutMs = Math.max(1, Date.parse(request.deadline) - this.now().getTime());
    const answer = this.await(request, timeoutMs, ' (relayed)');
    local.deliver(request);
    return answer;
  }

  /** A reply arrived; undefined when accepted, else the reason it is refused. */
  reply(reply: ObjectReply, via: string): string | undefined {
    const waiting = this.pending.get(reply.requestId);
    const refusal = waiting ? mismatch(waiting.request, reply) : `no request ${reply.requestId} is waiting here (unknown, already answered or expired)`;
    if (refusal) {
      this.refused?.inc();
      this.options.log.warn({ requestId: reply.requestId, scope: reply.scope, providerId: reply.providerId, via, reason: refusal }, 'object reply refused');
      return refusal;
    }
    this.drop(reply.requestId);
    waiting?.resolve(reply);
    return undefined;
  }

  /** Fails every waiting request (shutdown). */
  close(): void {
    for (const id of [...this.pending.keys()]) this.drop(id);
  }

  private await(request: ObjectRequest, timeoutMs: number, detail: string): Promise<ObjectReply> {
    const max = this.options.maxPending ?? 10_000;
    if (this.pending.size >= max) return Promise.reject(new ObjectBrokerBusyError(this.pending.size));
    return new Promise<ObjectReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request.requestId);
        reject(new ObjectTimeoutError(request, timeoutMs, detail));
      }, timeoutMs);
      this.pending.set(request.requestId, { request, resolve, timer });
    });
  }

  private drop(requestId: string): void {
    const waiting = this.pending.get(requestId);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.pending.delete(requestId);
  }
}

/** Why `reply` does not answer `request`, if it does not. */
function mismatch(request: ObjectRequest, reply: ObjectReply): string | undefined {
  if (reply.providerIfContext !== request.providerIfContext) {
    return `reply for ProviderIfContext ${JSON.stringify(reply.providerIfContext)}, but request ${request.requestId} was for ${JSON.stringify(request.providerIfContext)}`;
  }
  if (reply.scope !== request.scope || reply.providerId !== request.providerId) {
    return `reply from ${reply.providerId} of scope ${reply.scope}, but request ${request.requestId} was for ${request.providerId} of ${request.scope}`;
  }
  if (reply.oid !== request.oid.value) return `reply for OID ${reply.oid}, but request ${request.requestId} was for ${request.oid.value}`;
  return undefined;
}
