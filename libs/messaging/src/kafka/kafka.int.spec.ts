import { createHash, randomUUID } from 'node:crypto';
import type { Admin, KafkaMessage } from 'kafkajs';
import type { RegistryEvent } from '@ifreg/domain';
import { createLogger } from '@ifreg/platform';
import { waitFor, within } from '@ifreg/testing';
import { OutcomeWaiter } from '../outcome-waiter';
import type { InboundMessage, Outcome } from '@ifreg/ports';
import { createKafka, kafkaSettings } from './kafka-config';
import { KafkaAgentConsumer, type KafkaAgentConsumerOptions } from './kafka-consumer';
import { KafkaOutcomeSource } from './kafka-outcome-source';
import { KafkaDeadLetterPublisher, KafkaOutcomePublisher } from './kafka-outcomes';
import { KafkaAgentProducer } from './kafka-producer';
import { ThreadSender } from './thread-sender';
import { ensureTopics } from './topics';

// Against a real broker: tools/jest/global-setup.js starts one and sets KAFKA_BROKERS.
const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];
const describeKafka = brokers.length > 0 ? describe : describe.skip;
const log = createLogger({ name: 'kafka-int', level: process.env.LOG_LEVEL ?? 'silent' });
const kafka = createKafka(kafkaSettings({ brokers, clientId: 'ifreg-kafka-int' }), log);

const fresh = (name: string): string => `${name}-${randomUUID()}`;


/** Everything a test opened, closed in reverse order after it, even when it failed. */
const closers: (() => Promise<void>)[] = [];
const closeLater = <T>(thing: T, close: (thing: T) => Promise<void>): T => {
  closers.push(() => close(thing));
  return thing;
};

let admin: Admin;

beforeAll(async () => {
  if (brokers.length === 0) return;
  admin = kafka.admin();
  await admin.connect();
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await admin?.disconnect();
});

async function newTopic(partitions = 1): Promise<string> {
  const topic = fresh('ifreg-test');
  await ensureTopics(admin, [topic], partitions);
  return topic;
}

async function connectedProducer(topic: string): Promise<KafkaAgentProducer> {
  const producer = closeLater(new KafkaAgentProducer(kafka, { topic }), (p) => p.disconnect());
  await producer.connect();
  return producer;
}

/** A started consumer whose group has joined; collects what the handler saw unless one is given. */
async function startedConsumer(
  options: Partial<KafkaAgentConsumerOptions> & { topic: string },
  handler: (batch: readonly InboundMessage[]) => Promise<void>,
): Promise<KafkaAgentConsumer> {
  const consumer = closeLater(
    new KafkaAgentConsumer(kafka, { groupId: fresh('ifreg-test-group'), log, initialRetryTimeMs: 50, ...options }),
    (c) => c.stop(),
  );
  await consumer.start(handler);
  await within(consumer.ready, 15_000, 'the group join');
  return consumer;
}

/** Raw records of a topic, read from the beginning with a throw-away group. */
async function readRecords(topic: string, count: number): Promise<KafkaMessage[]> {
  const records: KafkaMessage[] = [];
  const consumer = closeLater(kafka.consumer({ groupId: fresh('ifreg-test-reader'), maxWaitTimeInMs: 500 }), (c) => c.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
  await waitFor(() => records.length >= count, 15_000, `${count} records on ${topic}`);
  return records;
}

const committed = async (groupId: string, topic: string): Promise<string[]> => {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (entry?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => p.offset);
};

const detection = (scope: string, n: number) => ({
  type: 'InterfaceDetected',
  schemaVersion: 1,
  messageId: `${scope}-m${n}`,
  scope,
  providerId: `agent-${scope}`,
  luid: { ifType: 6, netLuidIndex: n },
  providerIfContext: `ctx-${n}`,
  info: { friendlyName: `eth${n}` },
  detectedAt: `2026-11-24T12:00:${String(n).padStart(2, '0')}.000Z`,
});
const numbered = (scope: string, n: number) => ({ key: scope, value: JSON.stringify({ scope, n, messageId: `${scope}-m${n}` }) });
const body = (m: InboundMessage): { scope: string; n: number } => JSON.parse(m.value.toString()) as { scope: string; n: number };

describeKafka('ensureTopics on a broker that does not auto-create topics', () => {
  it('creates the topics with the configured partitions, each with a leader', async () => {
    const names = [fresh('ifreg-test-a'), fresh('ifreg-test-b')];

    const ensured = await ensureTopics(admin, names, 4);

    expect(ensured).toEqual({ created: names, existing: [] });
    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    expect(topics.map((t) => t.partitions.length)).toEqual([4, 4]);
    expect(topics.flatMap((t) => t.partitions).every((p) => p.leader >= 0)).toBe(true);
  });

  it('is idempotent: a second call creates nothing and changes no partition count', async () => {
    const names = [fresh('ifreg-test-a'), fresh('ifreg-test-b')];
    await ensureTopics(admin, names, 3);

    const again = await ensureTopics(admin, [...names, ...names], 5);

    expect(again).toEqual({ created: [], existing: names });
    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    expect(topics.map((t) => t.partitions.length)).toEqual([3, 3]);
  });
});

describeKafka('agent messages from KafkaAgentProducer to KafkaAgentConsumer', () => {
  it('arrive in order per key, in chunks of at most maxBatch, with CloudEvents headers and their Kafka origin', async () => {
    // given
    const topic = await newTopic(3);
    const scopes = ['host-a', 'host-b', 'host-c', 'host-d'];
    const batches: InboundMessage[][] = [];
    await startedConsumer({ topic, maxBatch: 4 }, async (batch) => void batches.push([...batch]));
    const producer = await connectedProducer(topic);
    // when: interleaved scopes, sent in two calls
    const messages = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((n) => scopes.map((scope) => ({ key: scope, value: JSON.stringify(detection(scope, n)) })));
    await producer.send(messages.slice(0, 12));
    await producer.send(messages.slice(12).map((m, i) => (i === 0 ? { ...m, headers: { correlationId: 'corr-1', ce_source: 'given' } } : m)));
    await waitFor(() => batches.flat().length === messages.length, 15_000, 'all messages');
    // then
    const received = batches.flat();
    expect(batches.every((b) => b.length >= 1 && b.length <= 4)).toBe(true);
    for (const scope of scopes) {
      const ofScope = received.filter((m) => m.key === scope);
      expect(ofScope.map((m) => (JSON.parse(m.value.toString()) as { luid: { netLuidIndex: number } }).luid.netLuidIndex)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(new Set(ofScope.map((m) => m.origin.partition)).size).toBe(1);
      const offsets = ofScope.map((m) => BigInt(m.origin.offset ?? -1));
      expect(offsets.every((offset, i) => i === 0 || offset > (offsets[i - 1] ?? 0n))).toBe(true);
    }
    const first = received.find((m) => m.key === 'host-b' && m.headers['ce_id'] === 'host-b-m1');
    expect(first).toMatchObject({
      key: 'host-b',
      headers: {
        ce_specversion: '1.0',
        ce_id: 'host-b-m1',
        ce_type: 'InterfaceDetected',
        ce_source: 'agent-host-b',
        ce_time: '2026-11-24T12:00:01.000Z',
        schemaVersion: '1',
      },
      origin: { transport: 'kafka', topic },
    });
    expect(Buffer.isBuffer(first?.value)).toBe(true);
    // headers given by the sender win over derived ones and travel along
    expect(received.find((m) => m.headers['correlationId'] === 'corr-1')?.headers).toMatchObject({ ce_source: 'given', ce_id: 'host-a-m4' });
  });

  it('still sends a value that is not JSON, with only the headers it can know', async () => {
    const topic = await newTopic();
    const received: InboundMessage[] = [];
    await startedConsumer({ topic }, async (batch) => void received.push(...batch));
    const producer = await connectedProducer(topic);

    await producer.send([{ key: 'host-a', value: '{not json' }]);

    await waitFor(() => received.length === 1, 15_000, 'the message');
    expect(received[0]?.value.toString()).toBe('{not json');
    expect(received[0]?.headers).toEqual({ ce_specversion: '1.0', ce_source: 'ifreg-agent' });
  });

  it('sends more than one chunk in one call, in order', async () => {
    const topic = await newTopic();
    const received: InboundMessage[] = [];
    await startedConsumer({ topic }, async (batch) => void received.push(...batch));
    const producer = await connectedProducer(topic);

    await producer.send(Array.from({ length: 1203 }, (_, n) => numbered('host-a', n)));

    await waitFor(() => received.length === 1203, 20_000, '1203 messages');
    expect(received.map((m) => body(m).n)).toEqual(Array.from({ length: 1203 }, (_, n) => n));
  });
});

describeKafka('a handler that throws once', () => {
  it('gets the same messages again, and the offsets are committed only after it succeeded', async () => {
    // given
    const topic = await newTopic();
    const groupId = fresh('ifreg-test-group');
    const producer = await connectedProducer(topic);
    await producer.send([1, 2, 3].map((n) => numbered('host-a', n)));
    const calls: number[][] = [];
    const committedDuringCalls: string[][] = [];
    // when
    await startedConsumer({ topic, groupId }, async (batch) => {
      calls.push(batch.map((m) => body(m).n));
      committedDuringCalls.push(await committed(groupId, topic));
      if (calls.length === 1) throw new Error('event store unavailable');
    });
    await waitFor(async () => (await committed(groupId, topic))[0] === '3', 15_000, 'offset 3 committed');
    // then
    expect(calls).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(committedDuringCalls).toEqual([['-1'], ['-1']]);
  });
});

describeKafka('a second consumer of the same group, after the first stopped', () => {
  it('resumes after the last committed offset: nothing committed is delivered again', async () => {
    // given
    const topic = await newTopic();
    const groupId = fresh('ifreg-test-group');
    const producer = await connectedProducer(topic);
    await producer.send([1, 2, 3].map((n) => numbered('host-a', n)));
    const firstSaw: number[] = [];
    const first = await startedConsumer({ topic, groupId }, async (batch) => void firstSaw.push(...batch.map((m) => body(m).n)));
    await waitFor(() => firstSaw.length === 3, 15_000, 'the first three');
    await first.stop();
    expect(first.isReady).toBe(false);
    // when
    await producer.send([4, 5].map((n) => numbered('host-a', n)));
    const secondSaw: InboundMessage[] = [];
    await startedConsumer({ topic, groupId }, async (batch) => void secondSaw.push(...batch));
    await waitFor(() => secondSaw.length >= 2, 15_000, 'the next two');
    // then
    expect(secondSaw.map((m) => body(m).n)).toEqual([4, 5]);
    expect(secondSaw.map((m) => m.origin.offset)).toEqual(['3', '4']);
    expect(await committed(groupId, topic)).toEqual(['5']);
  });
});

describeKafka('a handler that keeps failing', () => {
  it('makes the consumer give up after bounded retries and restarts, calling onFatal', async () => {
    const topic = await newTopic();
    const producer = await connectedProducer(topic);
    await producer.send([numbered('host-a', 1)]);
    let calls = 0;
    const fatal: Error[] = [];
    const consumer = await startedConsumer(
      { topic, retries: 1, maxRestarts: 1, initialRetryTimeMs: 20, onFatal: (error) => fatal.push(error) },
      async () => {
        calls++;
        throw new Error('event store down');
      },
    );

    await waitFor(() => fatal.length === 1, 20_000, 'onFatal');

    // (1 try + 1 retry) before the restart, the same after it
    expect(calls).toBe(4);
    expect(fatal[0]?.message).toContain('event store down');
    expect(consumer.isReady).toBe(false);
  });
});

describeKafka('a message written by another client', () => {
  it('is delivered the same without any headers, and with a null value as an empty value', async () => {
    const topic = await newTopic();
    const received: InboundMessage[] = [];
    await startedConsumer({ topic }, async (batch) => void received.push(...batch));
    const raw = closeLater(kafka.producer(), (p) => p.disconnect());
    await raw.connect();
    const value = JSON.stringify(detection('host-a', 1));

    await raw.send({ topic, messages: [{ key: 'host-a', value }, { key: null, value: null }] });

    await waitFor(() => received.length === 2, 15_000, 'both messages');
    expect(received[0]).toEqual({ key: 'host-a', value: Buffer.from(value), headers: {}, origin: { transport: 'kafka', topic, partition: 0, offset: '0' } });
    expect(received[1]).toEqual({ key: undefined, value: Buffer.alloc(0), headers: {}, origin: { transport: 'kafka', topic, partition: 0, offset: '1' } });
  });
});

describeKafka('outcomes published from a worker thread (ThreadSender)', () => {
  const settings = kafkaSettings({ brokers, clientId: 'ifreg-kafka-int-thread' });

  it('arrive whole and in order per key, over several chunks, with their headers', async () => {
    const topic = await newTopic(3);
    const sender = closeLater(new ThreadSender(settings, log, 100), (t) => t.disconnect());
    const publisher = new KafkaOutcomePublisher(kafka, { topic, sender });
    await publisher.connect();
    const scopes = ['host-a', 'host-b', 'host-c'];
    const outcomes: Outcome[] = Array.from({ length: 1_200 }, (_, n) => ({
      scope: scopes[n % 3]!,
      event: { type: 'BootEpochStarted', scope: scopes[n % 3]!, epoch: n, causationId: `m-${n}`, at: '2026-11-24T12:00:00.000Z' },
      position: n + 1,
    }));
    await publisher.publish(outcomes.slice(0, 600));
    await publisher.publish(outcomes.slice(600));
    const records = await readRecords(topic, outcomes.length);
    expect(records).toHaveLength(outcomes.length);
    for (const scope of scopes) {
      const positions = records.filter((r) => r.key?.toString() === scope).map((r) => (JSON.parse(r.value?.toString() ?? '') as { position: number }).position);
      expect(positions).toEqual(outcomes.filter((o) => o.scope === scope).map((o) => o.position));
    }
    expect(records[0]?.headers?.['ce_id']?.toString()).toMatch(/^m-\d+:outcome$/);
  });

  it('writes records a kafkajs consumer reads exactly as sent, with its own record encoder (record-encoding.ts)', async () => {
    const topic = await newTopic(2);
    const sender = closeLater(new ThreadSender(settings, log, 50), (t) => t.disconnect());
    await sender.connect();
    const sent = Array.from({ length: 240 }, (_, n) => ({
      key: n % 7 === 0 ? null : `scope-${n % 5}\u00e9`,
      value: n % 11 === 0 ? Buffer.from([n & 0xff, 0x00, 0xff]) : JSON.stringify({ n, text: 'x'.repeat(n * 3), note: '\u2713 \ud834\udd1e' }),
      headers: { ce_specversion: '1.0', ce_id: `m-${n}:outcome`, ce_type: 'InterfaceRegistered', ce_source: 'ifreg-registrar', ce_time: '2026-11-24T12:00:00.000Z', ...(n % 3 === 0 ? { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, bytes: Buffer.from([1, 2, 3]) } : {}) },
    }));
    await sender.send(topic, sent);
    const records = await readRecords(topic, sent.length);
    const asSent = (r: KafkaMessage) => {
      const headers = Object.entries(r.headers ?? {}).map(([name, value]) => [name, name === 'bytes' ? [...(value as Buffer)] : value?.toString()]);
      return { key: r.key?.toString() ?? null, value: r.value?.toString('latin1'), headers };
    };
    const expected = sent.map(({ key, value, headers }) => ({
      key,
      value: Buffer.from(value).toString('latin1'),
      headers: Object.entries(headers).map(([name, v]) => [name, Buffer.isBuffer(v) ? [...v] : v]),
    }));
    const idOf = (r: { headers: unknown[][] }) => String(r.headers.find(([name]) => name === 'ce_id')?.[1]);
    const byId = (a: { headers: unknown[][] }, b: { headers: unknown[][] }) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0);
    expect(records.map(asSent).sort(byId)).toEqual(expected.sort(byId));
  });

  it('sends bytes as bytes (a Buffer crosses the thread as a plain Uint8Array)', async () => {
    const topic = await newTopic();
    const sender = closeLater(new ThreadSender(settings, log), (t) => t.disconnect());
    await sender.connect();
    const value = Buffer.from([0xff, 0x00, 0x01, 0x80]);
    await sender.send(topic, [{ key: Buffer.from('k\u00e9'), value, headers: { h: 'v' } }]);
    const [record] = await readRecords(topic, 1);
    expect(record?.value).toEqual(value);
    expect(record?.key?.toString('utf8')).toBe('k\u00e9');
  });

  it('fails a send with the kafkajs error, and every call after the thread ended', async () => {
    const topic = await newTopic();
    const sender = new ThreadSender(settings, log);
    // not connected yet: kafkajs refuses, the error crosses the thread with its name
    await expect(sender.send(topic, [{ key: 'k', value: 'v' }])).rejects.toMatchObject({ name: 'ThreadSendError', kafkaError: 'KafkaJSError' });
    await sender.connect();
    await sender.send(topic, [{ key: 'k', value: 'v' }]);
    await sender.disconnect();
    await expect(sender.send(topic, [{ key: 'k', value: 'v' }])).rejects.toThrow(/sender thread exited/);
  });
});

describeKafka('outcomes from KafkaOutcomePublisher to KafkaOutcomeSource', () => {
  const outcome = (causationId: string, position: number): Outcome => {
    const event: RegistryEvent = { type: 'BootEpochStarted', scope: 'host-a', epoch: 2, causationId, at: '2026-11-24T12:00:00.000Z' };
    return { scope: 'host-a', event, position };
  };

  it('arrive as Outcome objects, from the moment the source started, with CloudEvents headers', async () => {
    // given
    const topic = await newTopic(2);
    const publisher = closeLater(new KafkaOutcomePublisher(kafka, { topic }), (p) => p.disconnect());
    await publisher.connect();
    await publisher.publish([outcome('before-start', 1)]);
    const source = closeLater(new KafkaOutcomeSource(kafka, { topic, log }), (s) => s.stop());
    const seen: Outcome[] = [];
    source.onOutcome((o) => seen.push(o));
    await source.start();
    const waiter = closeLater(new OutcomeWaiter(source), async (w) => w.close());
    // when
    const answer = waiter.expect('m-1', 15_000);
    await publisher.publish([outcome('m-1', 7)]);
    // then
    await expect(answer).resolves.toEqual(outcome('m-1', 7));
    expect(seen).toEqual([outcome('m-1', 7)]);
    const [record] = await readRecords(topic, 2).then((records) => records.filter((r) => r.headers?.['ce_id']?.toString() === 'm-1:outcome'));
    expect(record?.key?.toString()).toBe('host-a');
    expect(JSON.parse(record?.value?.toString() ?? '')).toEqual({ ...outcome('m-1', 7).event, position: 7 });
    expect(Object.fromEntries(Object.entries(record?.headers ?? {}).map(([k, v]) => [k, v?.toString()]))).toEqual({
      ce_specversion: '1.0',
      ce_id: 'm-1:outcome',
      ce_type: 'BootEpochStarted',
      ce_source: 'ifreg-registrar',
      ce_time: '2026-11-24T12:00:00.000Z',
    });
  });

  it('with fromBeginning, include what was published before the source started', async () => {
    const topic = await newTopic();
    const publisher = closeLater(new KafkaOutcomePublisher(kafka, { topic }), (p) => p.disconnect());
    await publisher.connect();
    await publisher.publish([outcome('early', 1)]);
    const source = closeLater(new KafkaOutcomeSource(kafka, { topic, log, fromBeginning: true }), (s) => s.stop());
    const seen: Outcome[] = [];
    source.onOutcome((o) => seen.push(o));

    await source.start();

    await waitFor(() => seen.length === 1, 15_000, 'the early outcome');
    expect(seen).toEqual([outcome('early', 1)]);
  });
});

describeKafka('dead letters from KafkaDeadLetterPublisher', () => {
  it('carry the reason and the original message, its value as text or base64', async () => {
    // given
    const topic = await newTopic();
    const publisher = closeLater(new KafkaDeadLetterPublisher(kafka, { topic, now: () => new Date('2026-11-24T12:00:00.000Z') }), (p) => p.disconnect());
    await publisher.connect();
    const origin = { transport: 'kafka', topic: 'ifreg.agent-messages', partition: 2, offset: '41' };
    // when
    await publisher.deadLetter([
      { reason: 'not JSON: Unexpected token', message: { key: 'host-a', value: Buffer.from('{oops'), headers: { ce_id: 'x' }, origin } },
      { reason: 'no scope', message: { key: undefined, value: Buffer.from([0xff, 0xfe, 0x00]), headers: {}, origin: { transport: 'http' } } },
    ]);
    // then
    const records = await readRecords(topic, 2);
    expect(records.map((r) => r.key?.toString() ?? null)).toEqual(['host-a', null]);
    expect(records.map((r) => JSON.parse(r.value?.toString() ?? '') as unknown)).toEqual([
      {
        reason: 'not JSON: Unexpected token',
        original: { key: 'host-a', value: '{oops', size: 5, sha256: sha256('{oops'), headers: { ce_id: 'x' }, origin },
        at: '2026-11-24T12:00:00.000Z',
      },
      {
        reason: 'no scope',
        original: { key: null, value: '//4A', encoding: 'base64', size: 3, sha256: sha256(Buffer.from([0xff, 0xfe, 0x00])), headers: {}, origin: { transport: 'http' } },
        at: '2026-11-24T12:00:00.000Z',
      },
    ]);
    expect(records[0]?.headers?.['ce_id']?.toString()).toBe('ifreg.agent-messages:2:41:dead-letter');
    expect(records[0]?.headers?.['ce_type']?.toString()).toBe('DeadLetter');
  });

  it('of 500 big messages of escaped characters are all published, each cut to a bounded prefix with its size and sha256', async () => {
    // given: 500 values of 40 KB of control characters, ~240 KB each once escaped as JSON
    const topic = await newTopic();
    const publisher = closeLater(new KafkaDeadLetterPublisher(kafka, { topic }), (p) => p.disconnect());
    await publisher.connect();
    const value = Buffer.alloc(40_000, 0x01);
    const origin = { transport: 'kafka', topic: 'ifreg.agent-messages', partition: 0 };
    // when
    await publisher.deadLetter(Array.from({ length: 500 }, (_, n) => ({ reason: 'no scope', message: { key: `k${n}`, value, headers: {}, origin: { ...origin, offset: String(n) } } })));
    // then
    const records = await readRecords(topic, 500);
    const first = JSON.parse(records[0]?.value?.toString() ?? '') as { original: Record<string, unknown> };
    expect(first.original).toMatchObject({ truncated: true, size: 40_000, sha256: sha256(value) });
    expect(first.original['value']).toHaveLength(16 * 1024);
    expect(Math.max(...records.map((r) => r.value?.length ?? 0))).toBeLessThan(200 * 1024);
  }, 60_000);
});

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
