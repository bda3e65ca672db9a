import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '@ifreg/platform';
import type { AgentMessageConsumer, BatchHandler } from '@ifreg/ports';
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
 * after the handler resolved, i.e. after the batch's effects are durably appended. A handler
 * that throws makes kafkajs fetch again from the last resolved offset, so nothing is lost;
 * the registrar's idempotence (§2.4) absorbs the redelivery.
 */
export class KafkaAgentConsumer implements AgentMessageConsumer {
  private readonly consumer: Consumer;
  private readonly removeListeners: (() => void)[] = [];
  private restarts = 0;
  private joinedGroup = false;
  private settleReady: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** The offsets' commits, one after another; each takes every offset resolved by its turn. */
  private committing: Promise<void> = Promise.resolve();
  private commitQueued = false;
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
    await this.committing;
    await this.consumer.stop();
    await this.consumer.disconnect();
    for (const remove of this.removeListeners.splice(0)) remove();
  }

  private async eachBatch(handler: BatchHandler, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const size = this.options.maxBatch ?? 500;
    for (let start = 0; start < batch.messages.length; start += size) {
      // Stopping, or a rebalance/seek made the rest of this batch someone else's (or stale).
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(start, start + size);
      const first = chunk[0]?.offset;
      const last = chunk[chunk.length - 1]?.offset;
      if (first === undefined || last === undefined) return;
      try {
        await handler(chunk.map((m) => toInbound(batch.topic, batch.partition, m)));
      } catch (error) {
        this.options.log.error(
          { err: error, topic: batch.topic, partition: batch.partition, firstOffset: first, lastOffset: last },
          'agent message batch failed; it will be fetched again from the last committed offset',
        );
        // kafkajs fetches again from the last resolved offset, which is the last committed one.
        throw error;
      }
      payload.resolveOffset(last);
      this.restarts = 0;
      // The commit runs beside the next fetch rather than before it: the batch's effects are
      // durable already, and an offset whose commit is lost only brings a redelivery.
      this.queueCommit(payload);
      if (this.stopping || !payload.isRunning()) await this.committing;
      await payload.heartbeat(); // long batches: keep the coordinator aware of this member
    }
  }

  private queueCommit(payload: EachBatchPayload): void {
    if (this.commitQueued) return;
    this.commitQueued = true;
    this.committing = this.committing.then(async () => {
      this.commitQueued = false;
      try {
        // With autoCommit off, commitOffsetsIfNecessary() without arguments commits nothing
        // (no interval or threshold is set): hand it the resolved offsets explicitly.
        await payload.commitOffsetsIfNecessary(payload.uncommittedOffsets());
      } catch (error) {
        this.options.log.warn({ err: error }, 'agent message offsets not committed; the next commit carries them, or their messages are delivered again');
      }
    });
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
