import { SpanKind, context, trace, type Span } from '@opentelemetry/api';
import type { AgentMessageProducer, Outcome, OutcomeSource } from '@ifreg/ports';
import { activeTracer, contextFrom, startChildSpan } from '@ifreg/platform';
import { RegistryTimeoutError, RegistryUnavailableError } from './errors';
import { DEFAULT_TIMEOUT_MS, type RegistryClient, type SendOptions, type WireMessage } from './registry-client';

/** What KafkaAgentProducer offers; a structural type so the SDK needs no Kafka client. */
export interface ConnectableProducer extends AgentMessageProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** What KafkaOutcomeSource offers: start() resolves once outcomes published after it are seen. */
export interface StartableOutcomeSource extends OutcomeSource {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TransportRegistryClientOptions {
  /** Agents → registrar (a KafkaAgentProducer on the agent-messages topic). */
  readonly producer: ConnectableProducer;
  /** Registrar → agents (a KafkaOutcomeSource on the outcomes topic, a group of its own). */
  readonly outcomes: StartableOutcomeSource;
  /** Default wait for an outcome when a send gives none (10 s). */
  readonly timeoutMs?: number;
}

interface Waiter {
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  /** From the send to the outcome (only while tracing). */
  readonly span?: Span;
}

/**
 * Sends agent messages through a transport (Kafka's agent-messages topic, key = scope, or
 * the all-in-one's in-process transport) and awaits the outcome by causation id. Waiting is done here rather than with OutcomeWaiter because a wait
 * must be cancellable: after a failed send the caller retries with the same messageId, and
 * the abandoned wait must neither keep a timer alive nor unregister the new one.
 */
export class TransportRegistryClient implements RegistryClient {
  private readonly waiting = new Map<string, Set<Waiter>>();
  private unsubscribe: (() => void) | undefined;
  private readonly tracer = activeTracer('ifreg-agent');

  constructor(private readonly options: TransportRegistryClientOptions) {}

  /** Starts listening first, so no outcome of a message sent afterwards is missed. */
  async connect(): Promise<void> {
    this.unsubscribe ??= this.options.outcomes.onOutcome((outcome) => this.settle(outcome));
    try {
      await this.options.outcomes.start();
      await this.options.producer.connect();
    } catch (error) {
      throw new RegistryUnavailableError(`cannot reach the registry: ${(error as Error).message}`, { cause: error });
    }
  }

  async send(message: WireMessage, options: SendOptions = {}): Promise<Outcome> {
    // A span from the send to the outcome; the producer puts it on the record as traceparent.
    const span = this.tracer?.startSpan(`agent send ${message.type}`, { kind: SpanKind.PRODUCER, attributes: { 'ifreg.scope': message.scope, 'ifreg.message_id': message.messageId } });
    const answer = this.expect(message.messageId, options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, span);
    const value = JSON.stringify(message);
    try {
      const send = () => this.options.producer.send([{ key: message.scope, value }]);
      await (span ? context.with(trace.setSpan(context.active(), span), send) : send());
    } catch (error) {
      this.cancel(message.messageId, answer.waiter);
      throw new RegistryUnavailableError(`cannot send ${message.type} ${message.messageId}: ${(error as Error).message}`, { cause: error });
    }
    return answer.promise;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const [messageId, waiters] of this.waiting) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.span?.end();
        waiter.reject(new RegistryUnavailableError(`client closed while waiting for the outcome of ${messageId}`));
      }
    }
    this.waiting.clear();
    await this.options.outcomes.stop();
    await this.options.producer.disconnect();
  }

  private expect(messageId: string, timeoutMs: number, span: Span | undefined): { promise: Promise<Outcome>; waiter: Waiter } {
    let waiter!: Waiter;
    const promise = new Promise<Outcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.remove(messageId, waiter);
        span?.end();
        reject(new RegistryTimeoutError(messageId, timeoutMs));
      }, timeoutMs);
      waiter = { resolve, reject, timer, ...(span ? { span } : {}) };
    });
    const set = this.waiting.get(messageId) ?? new Set<Waiter>();
    set.add(waiter);
    this.waiting.set(messageId, set);
    return { promise, waiter };
  }

  private settle(outcome: Outcome): void {
    const waiters = this.waiting.get(outcome.event.causationId);
    if (!waiters) return;
    this.waiting.delete(outcome.event.causationId);
    // The outcome record carries the registrar's context back: its arrival is a span of that trace.
    if (this.tracer && outcome.trace) startChildSpan(this.tracer, 'agent outcome received', contextFrom(outcome.trace), { kind: SpanKind.CONSUMER }).end();
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.span?.end();
      waiter.resolve(outcome);
    }
  }

  private cancel(messageId: string, waiter: Waiter): void {
    clearTimeout(waiter.timer);
    waiter.span?.end();
    this.remove(messageId, waiter);
  }

  private remove(messageId: string, waiter: Waiter): void {
    const set = this.waiting.get(messageId);
    set?.delete(waiter);
    if (set?.size === 0) this.waiting.delete(messageId);
  }
}
