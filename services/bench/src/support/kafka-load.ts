import { ensureTopics } from '@ifreg/messaging';
import { performance } from 'node:perf_hooks';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';

/** A kafkajs client for the bench's own producing and consuming: no ifreg code on this side. */
export const benchKafka = (brokers: string[]): Kafka => new Kafka({ clientId: 'ifreg-bench', brokers, logLevel: logLevel.NOTHING });

/** kafkajs does no client-side batching and slows down past ~1k messages per send (DESIGN §2.5). */
export const SEND_CHUNK = 500;

export async function createTopics(admin: Admin, topics: readonly string[], partitions: number): Promise<void> {
  await ensureTopics(admin, topics, partitions);
}

export async function connectedProducer(kafka: Kafka): Promise<Producer> {
  // murmur2 on the key, as the registrar's own producers and Java clients place a scope.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/** Sends keyed messages in chunks of SEND_CHUNK, in order. */
export async function produce(producer: Producer, topic: string, messages: readonly { key: string; value: string }[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_CHUNK) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + SEND_CHUNK) });
}

/**
 * The baseline consumer: a plain kafkajs consumer group reading `topic` from the beginning,
 * noting when each message arrived (performance.now()) and its record's timestamp (epoch ms,
 * set by its producer), and nothing else.
 */
export class RawConsumer {
  readonly arrivals: number[] = [];
  private readonly consumer: Consumer;
  private joined: Promise<void>;
  private waiter: { count: number; resolve: () => void } | undefined;

  constructor(kafka: Kafka, groupId: string, private readonly onMessage?: (value: Buffer | null, at: number, timestamp: number) => void) {
    this.consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    this.joined = new Promise((resolve) => this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()));
  }

  /** Resolves once the group is joined (partitions assigned). */
  async start(topic: string): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const at = performance.now();
        for (const message of batch.messages) {
          this.arrivals.push(at);
          this.onMessage?.(message.value, at, Number(message.timestamp));
        }
        if (this.waiter && this.arrivals.length >= this.waiter.count) this.waiter.resolve();
      },
    });
    await this.joined;
  }

  /** Resolves when `count` messages have arrived; fails after `timeoutMs`. */
  received(count: number, timeoutMs = 120_000): Promise<void> {
    if (this.arrivals.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the raw consumer got ${this.arrivals.length} of ${count} messages in ${timeoutMs} ms`)), timeoutMs);
      this.waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/**
 * Messages per second over the middle 90% of the arrivals (the 5th to the 95th percentile of
 * their times): the sustained rate, without the start-up (process start, group join, first
 * fetch) and the tail. Arrival times need not be sorted.
 */
export function sustainedRate(arrivals: ArrayLike<number>): number {
  const sorted = Float64Array.from(arrivals).sort();
  const low = Math.floor(sorted.length * 0.05);
  const high = Math.ceil(sorted.length * 0.95) - 1;
  const seconds = ((sorted[high] ?? 0) - (sorted[low] ?? 0)) / 1000;
  return seconds > 0 ? (high - low) / seconds : Number.NaN;
}
