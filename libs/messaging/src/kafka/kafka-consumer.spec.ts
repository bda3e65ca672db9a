import type { Consumer, ConsumerRunConfig, EachBatchPayload, Kafka, TopicPartitionOffset, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { createLogger } from '@ifreg/platform';
import type { HandledBatch, InboundMessage } from '@ifreg/ports';
import { KafkaAgentConsumer } from './kafka-consumer';

/** A promise settled from outside. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve = (): void => undefined;
  let reject = (_: Error): void => undefined;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A kafkajs consumer that hands batches to the registered eachBatch when told to, and records commits and seeks. */
function fakeKafka() {
  let eachBatch: ConsumerRunConfig['eachBatch'];
  const commits: { offsets: TopicPartitionOffsetAndMetadata[]; answer: ReturnType<typeof deferred> }[] = [];
  const seeks: TopicPartitionOffset[] = [];
  const listeners = new Map<string, () => void>();
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash', STOP: 'stop' },
    on: (event: string, listener: () => void) => {
      listeners.set(event, listener);
      return () => listeners.delete(event);
    },
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: ConsumerRunConfig) => void (eachBatch = config.eachBatch),
    stop: async () => undefined,
    disconnect: async () => undefined,
    commitOffsets: (offsets: TopicPartitionOffsetAndMetadata[]) => {
      const answer = deferred();
      commits.push({ offsets, answer });
      return answer.promise;
    },
    seek: (to: TopicPartitionOffset) => void seeks.push(to),
  } as unknown as Consumer;
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const deliver = (partition: number, offsets: string[]): Promise<void> => {
    const messages = offsets.map((offset) => ({ offset, key: null, value: Buffer.from('{}'), headers: {}, timestamp: '0', attributes: 0 }));
    const payload = {
      batch: { topic: 't', partition, messages },
      isRunning: () => true,
      isStale: () => seeks.some((s) => s.partition === partition),
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
    } as unknown as EachBatchPayload;
    if (!eachBatch) throw new Error('not running');
    return eachBatch(payload);
  };
  const rejoin = (): void => listeners.get('join')?.();
  return { kafka, commits, seeks, deliver, rejoin };
}

const log = createLogger({ level: 'silent', name: 'kafka-consumer-spec' });
const tick = (): Promise<void> => new Promise(setImmediate);
const offsetsOf = (commit: { offsets: TopicPartitionOffsetAndMetadata[] } | undefined) => commit?.offsets.map(({ partition, offset }) => ({ partition, offset }));

/** A handler whose batches' answers are sent when the test says so. */
function answeringLater() {
  const handled: string[][] = [];
  const sends: ReturnType<typeof deferred>[] = [];
  const handler = async (batch: readonly InboundMessage[]): Promise<HandledBatch> => {
    handled.push(batch.map((m) => `${m.origin.partition}:${m.origin.offset}`));
    const sent = deferred();
    sends.push(sent);
    return { sent: sent.promise };
  };
  return { handled, sends, handler };
}

describe('KafkaAgentConsumer: a batch is committed after its answers are sent, beside the next fetch', () => {
  it('hands another partition its batch while the first one’s answers are on their way, and commits each once sent', async () => {
    // given
    const { kafka, commits, deliver } = fakeKafka();
    const { handled, sends, handler } = answeringLater();
    await new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log }).start(handler);
    // when
    await deliver(0, ['0', '1']);
    await deliver(1, ['7']);
    // then
    expect(handled).toEqual([['0:0', '0:1'], ['1:7']]);
    expect(commits).toHaveLength(0);
    sends[1]!.resolve();
    await tick();
    expect(offsetsOf(commits[0])).toEqual([{ partition: 1, offset: '8' }]);
    sends[0]!.resolve();
    commits[0]!.answer.resolve();
    await tick();
    expect(offsetsOf(commits[1])).toEqual([{ partition: 0, offset: '2' }]);
  });

  it('holds a partition’s next batch until the last one’s answers are sent', async () => {
    // given
    const { kafka, deliver } = fakeKafka();
    const { handled, sends, handler } = answeringLater();
    await new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log }).start(handler);
    await deliver(0, ['0']);
    // when
    const second = deliver(0, ['1']);
    await tick();
    // then
    expect(handled).toEqual([['0:0']]);
    sends[0]!.resolve();
    await second;
    expect(handled).toEqual([['0:0'], ['0:1']]);
  });

  it('fetches a batch again from its first offset when its answers could not be sent, and commits nothing of it', async () => {
    // given
    const { kafka, commits, seeks, deliver } = fakeKafka();
    const { handled, sends, handler } = answeringLater();
    await new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log }).start(handler);
    await deliver(2, ['5', '6']);
    // when
    sends[0]!.reject(new Error('broker unavailable'));
    await deliver(2, ['7']);
    // then: the batch fetched before the seek is stale and left alone
    expect(seeks).toEqual([{ topic: 't', partition: 2, offset: '5' }]);
    expect(handled).toEqual([['2:5', '2:6']]);
    expect(commits).toHaveLength(0);
  });

  it('carries the offsets of a commit that failed with the next one', async () => {
    // given
    const { kafka, commits, deliver } = fakeKafka();
    await new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log }).start(async () => undefined);
    await deliver(0, ['0']);
    await tick();
    // when
    commits[0]!.answer.reject(new Error('REBALANCE_IN_PROGRESS'));
    await tick();
    await deliver(1, ['3']);
    await tick();
    // then
    expect(offsetsOf(commits[1])).toEqual([
      { partition: 0, offset: '1' },
      { partition: 1, offset: '4' },
    ]);
  });

  it('drops what a failed commit left once the group is joined again (the next generation starts from the committed offsets)', async () => {
    // given
    const { kafka, commits, deliver, rejoin } = fakeKafka();
    await new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log }).start(async () => undefined);
    await deliver(0, ['0']);
    await tick();
    commits[0]!.answer.reject(new Error('REBALANCE_IN_PROGRESS'));
    await tick();
    // when
    rejoin();
    await deliver(1, ['3']);
    await tick();
    // then
    expect(offsetsOf(commits[1])).toEqual([{ partition: 1, offset: '4' }]);
  });

  it('commits nothing of a batch whose handler failed', async () => {
    // given
    const { kafka, commits, deliver } = fakeKafka();
    await new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log }).start(async () => {
      throw new Error('store unavailable');
    });
    // when
    await expect(deliver(0, ['0'])).rejects.toThrow('store unavailable');
    await tick();
    // then
    expect(commits).toHaveLength(0);
  });

  it('stops only once the answers on their way are sent and their commit answered', async () => {
    // given
    const { kafka, commits, deliver } = fakeKafka();
    const { sends, handler } = answeringLater();
    const consumer = new KafkaAgentConsumer(kafka, { topic: 't', groupId: 'g', log });
    await consumer.start(handler);
    await deliver(0, ['0']);
    // when
    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    sends[0]!.resolve();
    await tick();
    // then
    expect(offsetsOf(commits[0])).toEqual([{ partition: 0, offset: '1' }]);
    expect(stopped).toBe(false);
    commits[0]!.answer.resolve();
    await stopping;
    expect(stopped).toBe(true);
  });
});
