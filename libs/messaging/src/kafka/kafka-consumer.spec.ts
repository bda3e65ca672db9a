import type { Consumer, ConsumerRunConfig, EachBatchPayload, Kafka, Offsets } from 'kafkajs';
import { createLogger } from '@ifreg/platform';
import { KafkaAgentConsumer } from './kafka-consumer';

/** A kafkajs consumer that hands batches to the registered eachBatch when told to, and records commits. */
function fakeKafka() {
  let eachBatch: ConsumerRunConfig['eachBatch'];
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash', STOP: 'stop' },
    on: () => () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: ConsumerRunConfig) => void (eachBatch = config.eachBatch),
    stop: async () => undefined,
    disconnect: async () => undefined,
  } as unknown as Consumer;
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  /** Resolved offsets not committed yet, as kafkajs's offset manager keeps them. */
  const resolved = new Map<number, string>();
  const commits: { offsets: Offsets; settle: (error?: Error) => void }[] = [];
  const deliver = (partition: number, offsets: string[]): Promise<void> => {
    const messages = offsets.map((offset) => ({ offset, key: null, value: Buffer.from('{}'), headers: {}, timestamp: '0', attributes: 0 }));
    const payload = {
      batch: { topic: 't', partition, messages },
      isRunning: () => true,
      isStale: () => false,
      resolveOffset: (offset: string) => void resolved.set(partition, String(BigInt(offset) + 1n)),
      uncommittedOffsets: (): Offsets => ({ topics: [{ topic: 't', partitions: [...resolved].map(([p, offset]) => ({ partition: p, offset })) }] }),
      commitOffsetsIfNecessary: (offsets: Offsets) =>
        new Promise<void>((resolve, reject) =>
          commits.push({
            offsets,
            settle: (error) => {
              if (error) return reject(error);
              for (const { partition: p } of offsets.topics[0]?.partitions ?? []) resolved.delete(p);
              resolve();
            },
          }),
        ),
      heartbeat: async () => undefined,
    } as unknown as EachBatchPayload;
    if (!eachBatch) throw new Error('not running');
    return eachBatch(payload);
  };
  return { kafka, commits, deliver };
}

const partitionsOf = (offsets: Offsets) => offsets.topics.flatMap((t) => t.partitions);

describe('KafkaAgentConsumer commits offsets beside the next batch', () => {
  const warnings: string[] = [];
  const log = createLogger({ level: 'silent', name: 'kafka-consumer-spec' });
  log.warn = ((_: unknown, message: string) => void warnings.push(message)) as typeof log.warn;

  it('hands the next batch over while the last commit has not answered, then commits what both resolved', async () => {
    // given
    const { kafka, commits, deliver } = fakeKafka();
    const consumer = new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log });
    const handled: string[][] = [];
    await consumer.start(async (batch) => void handled.push(batch.map((m) => m.origin.offset ?? '')));
    // when: two batches, the first commit still unanswered
    await deliver(0, ['0', '1']);
    await deliver(1, ['7']);
    // then
    expect(handled).toEqual([['0', '1'], ['7']]);
    expect(commits).toHaveLength(1);
    expect(partitionsOf(commits[0]!.offsets)).toEqual([{ partition: 0, offset: '2' }]);
    commits[0]!.settle();
    await new Promise(setImmediate);
    expect(commits).toHaveLength(2);
    expect(partitionsOf(commits[1]!.offsets)).toEqual([{ partition: 1, offset: '8' }]);
    commits[1]!.settle();
  });

  it('logs a commit that failed, and the next commit carries its offsets', async () => {
    // given
    const { kafka, commits, deliver } = fakeKafka();
    const consumer = new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log });
    await consumer.start(async () => undefined);
    // when
    await deliver(0, ['0']);
    commits[0]!.settle(new Error('REBALANCE_IN_PROGRESS'));
    await deliver(0, ['1']);
    await new Promise(setImmediate);
    // then
    expect(warnings).toContain('agent message offsets not committed; the next commit carries them, or their messages are delivered again');
    expect(commits).toHaveLength(2);
    expect(partitionsOf(commits[1]!.offsets)).toEqual([{ partition: 0, offset: '2' }]);
    commits[1]!.settle();
  });

  it('does not commit a batch whose handler failed', async () => {
    // given
    const { kafka, commits, deliver } = fakeKafka();
    const consumer = new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log });
    await consumer.start(async () => {
      throw new Error('store unavailable');
    });
    // when
    await expect(deliver(0, ['0'])).rejects.toThrow('store unavailable');
    await new Promise(setImmediate);
    // then
    expect(commits).toHaveLength(0);
  });

  it('stops only after the commits under way have answered', async () => {
    // given
    const { kafka, commits, deliver } = fakeKafka();
    const consumer = new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log });
    await consumer.start(async () => undefined);
    await deliver(0, ['0']);
    // when
    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    await new Promise(setImmediate);
    // then
    expect(stopped).toBe(false);
    commits[0]!.settle();
    await stopping;
    expect(stopped).toBe(true);
  });
});
