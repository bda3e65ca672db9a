import { EventEmitter } from 'node:events';
import type {
  AgentMessageConsumer,
  AgentMessageProducer,
  BatchHandler,
  DeadLetter,
  DeadLetterPublisher,
  InboundMessage,
  OutboundMessage,
  Outcome,
  OutcomePublisher,
  OutcomeSource,
} from './port';

export interface InProcessOptions {
  readonly batchSize?: number;
  /** Delay before a failed batch is handed to the handler again. */
  readonly retryDelayMs?: number;
  readonly onHandlerError?: (error: unknown) => void;
  /** How many dead letters to keep for inspection (default 1000). */
  readonly keepDeadLetters?: number;
}

/**
 * All messaging ports in one process, with no broker: a queue drained in order, in
 * batches, at least once (a batch whose handler throws is retried, never dropped).
 */
export class InProcessTransport
  implements AgentMessageProducer, AgentMessageConsumer, OutcomePublisher, OutcomeSource, DeadLetterPublisher
{
  private readonly queue: InboundMessage[] = [];
  private readonly outcomes = new EventEmitter().setMaxListeners(0);
  private handler: BatchHandler | undefined;
  private draining: Promise<void> | undefined;
  private stopped = false;
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
    return this.queue.length;
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
      const batch = this.queue.slice(0, size);
      try {
        await this.handler(batch);
        this.queue.splice(0, batch.length);
      } catch (error) {
        this.options.onHandlerError?.(error);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 1000));
      }
    }
  }
}
