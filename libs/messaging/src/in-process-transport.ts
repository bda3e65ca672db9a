import { backoffDelay } from '@ifreg/platform';
import { EventEmitter } from 'node:events';
import {
  BatchRetryError,
  type AgentMessageConsumer,
  type AgentMessageProducer,
  type BatchHandler,
  type DeadLetter,
  type DeadLetterPublisher,
  type InboundMessage,
  type OutboundMessage,
  type Outcome,
  type OutcomePublisher,
  type OutcomeSource,
} from '@ifreg/ports';

export interface InProcessOptions {
  readonly batchSize?: number;
  /**
   * Delay before a failed batch is handed to the handler again; messages held back by key
   * (BatchRetryError) wait this long, doubling per failure up to 32 times it.
   */
  readonly retryDelayMs?: number;
  readonly onHandlerError?: (error: unknown) => void;
  /** How many dead letters to keep for inspection (default 1000). */
  readonly keepDeadLetters?: number;
}

interface Held {
  readonly messages: InboundMessage[];
  readonly timer: NodeJS.Timeout;
}

/**
 * All messaging ports in one process, with no broker: a queue drained in order, in
 * batches, at least once (a batch whose handler throws is retried, never dropped).
 * When the handler names the messages to retry (BatchRetryError), only their keys (scopes)
 * wait: later messages of those keys queue up behind them, and the other keys go on.
 */
export class InProcessTransport
  implements AgentMessageProducer, AgentMessageConsumer, OutcomePublisher, OutcomeSource, DeadLetterPublisher
{
  private readonly queue: InboundMessage[] = [];
  private readonly outcomes = new EventEmitter().setMaxListeners(0);
  private handler: BatchHandler | undefined;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private readonly held = new Map<string | undefined, Held>();
  private readonly failures = new Map<string | undefined, number>();
  /** The most recent dead letters (the registrar also logs each one); bounded, so a long-running process does not grow. */
  readonly deadLetters: DeadLetter[] = [];

  constructor(private readonly options: InProcessOptions = {}) {}

  send(messages: readonly OutboundMessage[]): Promise<void> {
    for (const m of messages) {
      this.queue.push({ key: m.key, value: m.value, headers: m.headers ?? {}, origin: { transport: 'in-process' } });
    }
    this.kick();
    return Promise.resolve();
  }

  start(handler: BatchHandler): Promise<void> {
    this.handler = handler;
    this.stopped = false;
    this.kick();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.draining;
    for (const [key, held] of this.held) {
      clearTimeout(held.timer);
      this.queue.unshift(...held.messages);
      this.held.delete(key);
    }
  }

  publish(outcomes: readonly Outcome[]): Promise<void> {
    for (const outcome of outcomes) this.outcomes.emit('outcome', outcome);
    return Promise.resolve();
  }

  deadLetter(records: readonly DeadLetter[]): Promise<void> {
    this.deadLetters.push(...records);
    const excess = this.deadLetters.length - (this.options.keepDeadLetters ?? 1000);
    if (excess > 0) this.deadLetters.splice(0, excess);
    return Promise.resolve();
  }

  onOutcome(listener: (outcome: Outcome) => void): () => void {
    this.outcomes.on('outcome', listener);
    return () => this.outcomes.off('outcome', listener);
  }

  /** Messages accepted but not yet handled. */
  get pending(): number {
    let held = 0;
    for (const h of this.held.values()) held += h.messages.length;
    return this.queue.length + held;
  }

  private kick(): void {
    if (this.draining || !this.handler || this.stopped) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    const size = this.options.batchSize ?? 500;
    while (this.queue.length > 0 && this.handler && !this.stopped) {
      const batch = this.take(size);
      if (batch.length === 0) continue;
      try {
        const handled = await this.handler(batch);
        await handled?.sent;
        for (const m of batch) this.failures.delete(m.key);
      } catch (error) {
        this.options.onHandlerError?.(error);
        if (error instanceof BatchRetryError) {
          this.holdBack(batch, error.retry);
          continue;
        }
        this.queue.unshift(...batch);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 1000));
      }
    }
  }

  /** Up to `size` messages from the front; those of held keys join their key's wait instead. */
  private take(size: number): InboundMessage[] {
    const batch: InboundMessage[] = [];
    while (batch.length < size && this.queue.length > 0) {
      const next = this.queue.shift() as InboundMessage;
      const held = this.held.get(next.key);
      if (held) held.messages.push(next);
      else batch.push(next);
    }
    return batch;
  }

  private holdBack(batch: readonly InboundMessage[], retry: readonly InboundMessage[]): void {
    const retried = new Set(retry);
    for (const m of batch) if (!retried.has(m)) this.failures.delete(m.key);
    for (const m of retry) {
      let held = this.held.get(m.key);
      if (!held) {
        const failures = (this.failures.get(m.key) ?? 0) + 1;
        this.failures.set(m.key, failures);
        const minMs = this.options.retryDelayMs ?? 1000;
        const delay = backoffDelay(failures - 1, { minMs, maxMs: minMs * 32 });
        held = { messages: [], timer: setTimeout(() => this.release(m.key), delay) };
        this.held.set(m.key, held);
      }
      held.messages.push(m);
    }
  }

  /** The key's messages go back to the front of the queue, oldest first. */
  private release(key: string | undefined): void {
    const held = this.held.get(key);
    if (!held) return;
    this.held.delete(key);
    this.queue.unshift(...held.messages);
    this.kick();
  }
}
