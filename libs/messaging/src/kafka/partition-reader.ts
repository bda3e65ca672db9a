import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage, type PartitionAssigner } from 'kafkajs';
import { backoffDelay, retry, type Logger, type RetryPolicy } from '@ifreg/platform';
import { partitionOf } from './partitions';

/** A topic just created may be led in the metadata before its leader serves offsets. */
const LEADER_MOVES: RetryPolicy = {
  retries: 8,
  retryIf: (error) => (error as { retriable?: boolean }).retriable === true,
  delayMs: (failures) => backoffDelay(failures, { minMs: 50, maxMs: 1_000 }),
};

export interface PartitionReaderOptions {
  readonly topics: readonly string[];
  /** Only the partitions these keys (scopes) map to; every partition when neither this nor `partitions` is given. */
  readonly keys?: readonly string[];
  /** Exactly these partitions of each topic. */
  readonly partitions?: readonly number[];
  readonly log: Logger;
  /** The consumer group is `<prefix>-<uuid>`: a group of its own, never committed to. */
  readonly groupIdPrefix: string;
  /** Default false: only records published after start() was called. */
  readonly fromBeginning?: boolean;
  readonly maxWaitTimeMs?: number;
}

type Handler = (message: KafkaMessage, partition: number) => void;
export type Assignment = Readonly<Record<string, readonly number[]>>;

/**
 * Reads chosen partitions of some topics, e.g. only the one partition a scope maps to.
 * kafkajs has no manual assignment (no `assign()`), so this is a consumer in a group of its
 * own whose partition assigner hands its one member exactly those partitions: the broker then
 * serves it nothing else. It commits no offsets, so the group vanishes when it leaves.
 * Shared by several users (start/stop are counted): an agent reads its outcomes and its
 * object requests with one consumer.
 */
export class KafkaPartitionReader {
  private readonly handlers = new Map<string, Set<Handler>>();
  private consumer: Consumer | undefined;
  private starting: Promise<void> | undefined;
  private users = 0;
  private assigned: Assignment = {};
  /** Records handed to this reader, per topic: what its process had to read. */
  readonly read = new Map<string, number>();

  constructor(private readonly kafka: Kafka, private readonly options: PartitionReaderOptions) {}

  on(topic: string, handler: Handler): () => void {
    if (!this.options.topics.includes(topic)) throw new Error(`this reader does not read ${topic}`);
    const set = this.handlers.get(topic) ?? new Set<Handler>();
    set.add(handler);
    this.handlers.set(topic, set);
    return () => set.delete(handler);
  }

  /** The partitions read, per topic (after start). */
  get assignment(): Assignment {
    return this.assigned;
  }

  get isRunning(): boolean {
    return this.consumer !== undefined;
  }

  /** Resolves once the partitions are assigned and positioned: a record published after the call is read. */
  start(): Promise<void> {
    this.users++;
    this.starting ??= this.run().catch((error: unknown) => {
      this.starting = undefined;
      this.users = 0;
      throw error;
    });
    return this.starting;
  }

  /** Stops when its last user stops. */
  async stop(): Promise<void> {
    if (this.users === 0) return;
    this.users--;
    if (this.users > 0) return;
    await this.starting?.catch(() => undefined);
    const consumer = this.consumer;
    this.consumer = undefined;
    this.starting = undefined;
    if (consumer) {
      await consumer.stop();
      await consumer.disconnect();
    }
  }

  private async run(): Promise<void> {
    const { topics, fromBeginning = false } = this.options;
    const admin = this.kafka.admin();
    await admin.connect();
    const ends: { topic: string; partition: number; offset: string }[] = [];
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const assigned: Record<string, number[]> = {};
      for (const { name, partitions } of metadata) assigned[name] = this.choose(partitions.length);
      this.assigned = assigned;
      if (!fromBeginning) {
        for (const topic of topics) {
          for (const { partition, high } of await retry(() => admin.fetchTopicOffsets(topic), LEADER_MOVES)) {
            if (assigned[topic]?.includes(partition)) ends.push({ topic, partition, offset: high });
          }
        }
      }
    } finally {
      await admin.disconnect();
    }
    const consumer = this.kafka.consumer({
      groupId: `${this.options.groupIdPrefix}-${randomUUID()}`,
      partitionAssigners: [fixedAssigner(this.assigned)],
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 1000,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning });
    const running = consumer.run({ autoCommit: false, eachBatch: (payload) => this.eachBatch(payload) });
    // "latest" is looked up at the first fetch, after the join: pin the start to the ends read
    // before it, so nothing published in between is skipped (seeks before the join apply then).
    for (const { topic, partition, offset } of ends) consumer.seek({ topic, partition, offset });
    await running;
    this.consumer = consumer;
  }

  private choose(count: number): number[] {
    const { keys, partitions } = this.options;
    if (keys) return [...new Set(keys.map((key) => partitionOf(key, count)))].sort((a, b) => a - b);
    if (partitions) return partitions.filter((p) => p < count);
    return Array.from({ length: count }, (_, p) => p);
  }

  private async eachBatch({ batch }: EachBatchPayload): Promise<void> {
    this.read.set(batch.topic, (this.read.get(batch.topic) ?? 0) + batch.messages.length);
    const handlers = this.handlers.get(batch.topic);
    for (const message of batch.messages) {
      for (const handler of handlers ?? []) {
        try {
          handler(message, batch.partition);
        } catch (error) {
          this.options.log.error({ err: error, topic: batch.topic, partition: batch.partition, offset: message.offset }, 'record handler failed');
        }
      }
    }
  }
}

/** The group's one member gets `assignment`; any other member (there should be none) gets nothing. */
function fixedAssigner(assignment: Assignment): PartitionAssigner {
  const name = 'IfregFixedAssigner';
  return () => ({
    name,
    version: 0,
    async assign({ members }) {
      const [first, ...others] = members.map((m) => m.memberId).sort();
      const encode = (topics: Assignment) =>
        AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: Object.fromEntries(Object.entries(topics).map(([t, p]) => [t, [...p]])), userData: Buffer.alloc(0) });
      return [...(first ? [{ memberId: first, memberAssignment: encode(assignment) }] : []), ...others.map((memberId) => ({ memberId, memberAssignment: encode({}) }))];
    },
    protocol: ({ topics }) => ({ name, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }),
  });
}
