import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '@ifreg/platform';
import type { AgentMessageConsumer, BatchHandler, HandledBatch } from '@ifreg/ports';
import { toInbound } from './inbound';
import { installRecordDecoding } from './record-decoding';

export interface KafkaAgentConsumerOptions {
  /** The agent-messages topic. */
  readonly topic: string;
  readonly groupId: string;
  readonly log: Logger;
  /** Most messages per handler call (the registrar's batch). */
  readonly maxBatch?: number;
  /**
   * Handler failures kafkajs retries (backing off, re-fetching) before the consumer restarts.
   * kafkajs counts them over the life of one run, not per batch: successes in between do
   * not reset the count, a restart does.
   */
  readonly retries?: number;
  readonly initialRetryTimeMs?: number;
  /** Consecutive restarts, with no batch done in between, before giving up. */
  readonly maxRestarts?: number;
  /**
   * Called once the consumer has given up: restarts exhausted, or an error kafkajs never
   * retries (a TypeError, RangeError, ReferenceError or SyntaxError from the handler: a bug). The consumer is disconnected by then; the service should exit non-zero so its
   * supervisor restarts it: a process that stays up without consuming would look healthy
   * while the scopes of its partitions wait.
   */
  readonly onFatal?: (error: Error) => void;
  /** Upper bound of a fetch's long poll; also how long stop() may wait for an idle fetch. */
  readonly maxWaitTimeMs?: number;
  /**
   * Bytes a fetch waits for (up to maxWaitTimeMs) before it answers: under a steady trickle,
   * fewer and larger batches, so fewer commits and round trips per message. Default 1.
   */
  readonly minBytes?: number;
  readonly sessionTimeoutMs?: number;
  readonly partitionsConsumedConcurrently?: number;
}

/**
 * Registrar side of the agent-messages topic, at least once: an offset is committed only
 * after the handler resolved, i.e. after the batch's effects are durably appended, and after
 * its answers were sent. A handler that throws makes kafkajs fetch again from the last
 * resolved offset, so nothing is lost; the registrar's idempotence (§2.4) absorbs the
 * redelivery.
 *
 * The next fetch does not wait for a batch's answers or its commit: a partition's next batch
 * waits for them instead (one batch a partition in flight), so they overlap the fetch's wait.
 * A batch whose answers were not sent is fetched again (a seek to its first offset).
 */
export class KafkaAgentConsumer implements AgentMessageConsumer {
  private readonly consumer: Consumer;
  private readonly removeListeners: (() => void)[] = [];
  private restarts = 0;
  private joinedGroup = false;
  private settleReady: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** The offsets' commits, one after another; each takes every offset queued by its turn. */
  private committing: Promise<void> = Promise.resolve();
  private readonly toCommit = new Map<number, string>();
  private commitQueued = false;
  /** Per partition, the last batch's answers and the queuing of its commit (never rejects). */
  private readonly inFlight = new Map<number, Promise<void>>();
  private stopping = false;
  /** Resolves when the group is first joined (partitions assigned); rejects if the consumer gives up before. */
  readonly ready: Promise<void>;

  constructor(kafka: Kafka, private readonly options: KafkaAgentConsumerOptions) {
    // The registrar decodes every message it handles: kafkajs's decoder costs it CPU and garbage (record-decoding.ts).
    if (!installRecordDecoding()) options.log.info("kafkajs's own record batch decoder stays: a fetch loaded it before this consumer");
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1000,
      minBytes: options.minBytes ?? 1,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      retry: {
        retries: options.retries ?? 5,
        initialRetryTime: options.initialRetryTimeMs ?? 300,
        restartOnFailure: (error) => this.shouldRestart(error),
      },
    });
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined); // nobody may be waiting; the rejection is reported via onFatal
    const { GROUP_JOIN, CRASH, STOP } = this.consumer.events;
    this.removeListeners.push(
      this.consumer.on(GROUP_JOIN, () => {
        this.joinedGroup = true;
        // A new generation starts from the committed offsets: what a failed commit left is not
        // carried into it (the partition may be another member's now).
        this.toCommit.clear();
        this.settleReady?.resolve();
      }),
      this.consumer.on(STOP, () => (this.joinedGroup = false)),
      this.consumer.on(CRASH, ({ payload }) => {
        this.joinedGroup = false;
        if (!payload.restart) this.giveUp(payload.error);
      }),
    );
  }

  /** True while the consumer is a member of its group (for /readyz). */
  get isReady(): boolean {
    return this.joinedGroup;
  }

  async start(handler: BatchHandler): Promise<void> {
    await this.consumer.connect();
    // fromBeginning applies only while the group has no committed offset: a new group must
    // not skip what agents sent before the registrar first started.
    await this.consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.eachBatch(handler, payload),
    });
  }

  /** Stops fetching, lets the running chunk finish and commit, leaves the group, disconnects. */
  async stop(): Promise<void> {
    // Commits still running are finished while the group is joined; from here on each batch waits for its own.
    this.stopping = true;
    await this.settled();
    await this.consumer.stop();
    await this.consumer.disconnect();
    for (const remove of this.removeListeners.splice(0)) remove();
  }

  private async eachBatch(handler: BatchHandler, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const size = this.options.maxBatch ?? 500;
    for (let start = 0; start < batch.messages.length; start += size) {
      await this.inFlight.get(partition);
      // Stopping, or a rebalance/seek made the rest of this batch someone else's (or stale).
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(start, start + size);
      const first = chunk[0]?.offset;
      const last = chunk[chunk.length - 1]?.offset;
      if (first === undefined || last === undefined) return;
      let handled: HandledBatch | void;
      try {
        handled = await handler(chunk.map((m) => toInbound(topic, partition, m)));
      } catch (error) {
        this.options.log.error({ err: error, topic, partition, firstOffset: first, lastOffset: last }, 'agent message batch failed; it will be fetched again from the last committed offset');
        // kafkajs fetches again from the last resolved offset, which is the last committed one.
        throw error;
      }
      payload.resolveOffset(last);
      this.restarts = 0;
      const next = String(BigInt(last) + 1n);
      this.inFlight.set(partition, (handled?.sent ?? Promise.resolve()).then(
        () => this.queueCommit(partition, next),
        (error: unknown) => {
          this.options.log.error({ err: error, topic, partition, firstOffset: first, lastOffset: last }, 'answers of an agent message batch not sent; the batch will be fetched again');
          this.rewind(topic, partition, first);
        },
      ));
      if (this.stopping || !payload.isRunning()) await this.settled();
      await payload.heartbeat(); // long batches: keep the coordinator aware of this member
    }
  }

  /** Every batch's answers sent (or failed) and every queued commit answered. */
  private async settled(): Promise<void> {
    await Promise.all(this.inFlight.values());
    await this.committing;
  }

  /** Commits run one after another; one queued takes the offsets of every batch sent by its turn. */
  private queueCommit(partition: number, offset: string): void {
    this.toCommit.set(partition, offset);
    if (this.commitQueued) return;
    this.commitQueued = true;
    this.committing = this.committing.then(async () => {
      this.commitQueued = false;
      const offsets = [...this.toCommit].map(([p, o]) => ({ topic: this.options.topic, partition: p, offset: o }));
      this.toCommit.clear();
      try {
        await this.consumer.commitOffsets(offsets);
      } catch (error) {
        this.options.log.warn({ err: error }, 'agent message offsets not committed; the next commit carries them, or their messages are delivered again');
        for (const { partition: p, offset: o } of offsets) if (!this.toCommit.has(p)) this.toCommit.set(p, o);
      }
    });
  }

  /** The batch is fetched again from `offset`; where the consumer cannot seek (stopped, restarting), from the last commit. */
  private rewind(topic: string, partition: number, offset: string): void {
    try {
      this.consumer.seek({ topic, partition, offset });
    } catch (error) {
      this.options.log.warn({ err: error, topic, partition, offset }, 'agent message consumer could not seek; it goes on from the last committed offset when it runs again');
    }
  }

  private async shouldRestart(error: Error): Promise<boolean> {
    this.restarts++;
    const max = this.options.maxRestarts ?? 3;
    this.options.log.warn({ err: error, restart: this.restarts, maxRestarts: max }, 'agent message consumer crashed');
    return this.restarts <= max;
  }

  private giveUp(error: Error): void {
    this.options.log.error({ err: error }, 'agent message consumer gave up');
    this.settleReady?.reject(error);
    this.options.onFatal?.(error);
  }
}
