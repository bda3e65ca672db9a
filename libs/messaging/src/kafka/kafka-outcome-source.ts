import type { Kafka, KafkaMessage } from 'kafkajs';
import { isRegistryEvent } from '@ifreg/contracts';
import type { Logger } from '@ifreg/platform';
import type { Outcome, OutcomeSource } from '@ifreg/ports';
import { headerText } from './inbound';
import { KafkaPartitionReader } from './partition-reader';

export interface KafkaOutcomeSourceOptions {
  readonly topic: string;
  readonly log: Logger;
  /**
   * Only the outcomes of these scopes' partitions (an agent gives its own scope): it reads one
   * partition's share of the fleet's outcomes, not all of them. Every partition when absent.
   */
  readonly scopes?: readonly string[];
  /** Read through this reader (shared with other traffic of the same scope) instead of one of its own. */
  readonly reader?: KafkaPartitionReader;
  readonly groupIdPrefix?: string;
  /** Default false: only outcomes published after start() was called. */
  readonly fromBeginning?: boolean;
  readonly maxWaitTimeMs?: number;
}

type Listener = (outcome: Outcome) => void;

/**
 * Outcomes from the registrar, wherever it runs: agents and the HTTP ingest wait on them.
 * Bad records are skipped and logged; a listener that throws does not stop the others.
 */
export class KafkaOutcomeSource implements OutcomeSource {
  private readonly listeners = new Set<Listener>();
  readonly reader: KafkaPartitionReader;
  private readonly off: () => void;

  constructor(kafka: Kafka, private readonly options: KafkaOutcomeSourceOptions) {
    this.reader =
      options.reader ??
      new KafkaPartitionReader(kafka, {
        topics: [options.topic],
        ...(options.scopes ? { keys: options.scopes } : {}),
        log: options.log,
        groupIdPrefix: options.groupIdPrefix ?? 'ifreg-outcomes',
        ...(options.fromBeginning === undefined ? {} : { fromBeginning: options.fromBeginning }),
        ...(options.maxWaitTimeMs === undefined ? {} : { maxWaitTimeMs: options.maxWaitTimeMs }),
      });
    this.off = this.reader.on(options.topic, (message, partition) => this.deliver(message, partition));
  }

  /** True while the consumer is reading. */
  get isReady(): boolean {
    return this.reader.isRunning;
  }

  onOutcome(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the partitions are assigned: an outcome published after start() was called is not missed. */
  start(): Promise<void> {
    return this.reader.start();
  }

  async stop(): Promise<void> {
    await this.reader.stop();
  }

  /** Stops listening for good (the reader stays with its other users). */
  close(): void {
    this.off();
  }

  private deliver(message: KafkaMessage, partition: number): void {
    const outcome = this.read(message);
    if (!outcome) {
      this.options.log.warn({ topic: this.options.topic, partition, offset: message.offset }, 'skipping unreadable outcome');
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener(outcome);
      } catch (error) {
        this.options.log.error({ err: error, causationId: outcome.event.causationId }, 'outcome listener failed');
      }
    }
  }

  private read(message: KafkaMessage): Outcome | undefined {
    try {
      const { position, ...event } = JSON.parse(message.value?.toString('utf8') ?? 'null') as Record<string, unknown>;
      if (typeof position !== 'number' || !isRegistryEvent(event)) return undefined;
      const trace = traceOf(message);
      return { scope: message.key?.toString('utf8') ?? event.scope, event, position, ...(trace ? { trace } : {}) };
    } catch {
      return undefined;
    }
  }
}

/** The W3C trace context an outcome record carries back (its registrar span), if any; headers read as inbound messages' are. */
function traceOf({ headers }: KafkaMessage): Record<string, string> | undefined {
  const traceparent = headerText(headers, 'traceparent');
  if (traceparent === undefined) return undefined;
  const tracestate = headerText(headers, 'tracestate');
  return { traceparent, ...(tracestate === undefined ? {} : { tracestate }) };
}
