import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { RegistryEvent } from '@ifreg/domain';
import type { Logger } from '@ifreg/platform';
import type { Outcome, OutcomeSource } from '../port';

export interface KafkaOutcomeSourceOptions {
  readonly topic: string;
  readonly log: Logger;
  /** Default: `${groupIdPrefix}-<uuid>`, a group of its own, so every process sees every outcome. */
  readonly groupId?: string;
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
  private readonly consumer: Consumer;
  private readonly groupId: string;
  private joinedGroup = false;
  private readonly removeListeners: (() => void)[] = [];

  constructor(private readonly kafka: Kafka, private readonly options: KafkaOutcomeSourceOptions) {
    this.groupId = options.groupId ?? `${options.groupIdPrefix ?? 'ifreg-outcomes'}-${randomUUID()}`;
    this.consumer = kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: options.maxWaitTimeMs ?? 1000 });
    const { GROUP_JOIN, CRASH, STOP } = this.consumer.events;
    this.removeListeners.push(
      this.consumer.on(GROUP_JOIN, () => (this.joinedGroup = true)),
      this.consumer.on(STOP, () => (this.joinedGroup = false)),
      this.consumer.on(CRASH, () => (this.joinedGroup = false)),
    );
  }

  /** True while the consumer is a member of its group. */
  get isReady(): boolean {
    return this.joinedGroup;
  }

  onOutcome(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the group is joined: an outcome published after start() was called is not missed. */
  async start(): Promise<void> {
    const fromBeginning = this.options.fromBeginning ?? false;
    const ends = fromBeginning ? [] : await this.endOffsets();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.options.topic], fromBeginning });
    const running = this.consumer.run({ eachBatch: (payload) => this.eachBatch(payload) });
    // kafkajs looks "latest" up at the first fetch, after the join: outcomes published in
    // between would be skipped. Seeking to the end offsets read before start pins the start.
    // Seeks made right after run() is called (before the join) are applied at the first fetch.
    for (const { partition, high } of ends) this.consumer.seek({ topic: this.options.topic, partition, offset: high });
    await running;
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    await this.consumer.disconnect();
    for (const remove of this.removeListeners.splice(0)) remove();
  }

  private async endOffsets(): Promise<{ partition: number; high: string }[]> {
    const admin: Admin = this.kafka.admin();
    await admin.connect();
    try {
      return await admin.fetchTopicOffsets(this.options.topic);
    } finally {
      await admin.disconnect();
    }
  }

  private async eachBatch({ batch }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      const outcome = this.read(message);
      if (!outcome) {
        this.options.log.warn({ topic: batch.topic, partition: batch.partition, offset: message.offset }, 'skipping unreadable outcome');
        continue;
      }
      for (const listener of this.listeners) {
        try {
          listener(outcome);
        } catch (error) {
          this.options.log.error({ err: error, causationId: outcome.event.causationId }, 'outcome listener failed');
        }
      }
    }
  }

  private read(message: KafkaMessage): Outcome | undefined {
    try {
      const { position, ...event } = JSON.parse(message.value?.toString('utf8') ?? 'null') as Record<string, unknown>;
      if (typeof position !== 'number' || typeof event['type'] !== 'string' || typeof event['causationId'] !== 'string') return undefined;
      const scope = message.key?.toString('utf8') ?? event['scope'];
      if (typeof scope !== 'string') return undefined;
      return { scope, event: event as unknown as RegistryEvent, position };
    } catch {
      return undefined;
    }
  }
}
