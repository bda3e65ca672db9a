import { randomUUID } from 'node:crypto';
import { CompressionTypes, type Admin, type KafkaMessage, type Message } from 'kafkajs';
import { createLogger } from '@ifreg/platform';
import { within } from '@ifreg/testing';
import { createKafka, kafkaSettings } from './kafka-config';
import { installRecordDecoding, recordDecodingCounts } from './record-decoding';
import { ensureTopics } from './topics';

// Against a real broker: tools/jest/global-setup.js starts one and sets KAFKA_BROKERS.
const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];
const describeKafka = brokers.length > 0 ? describe : describe.skip;
const log = createLogger({ name: 'record-decoding-int', level: process.env.LOG_LEVEL ?? 'silent' });

// Before any fetch of this module registry loads kafkajs's fetch response code.
const installed = installRecordDecoding();
const kafka = createKafka(kafkaSettings({ brokers, clientId: 'ifreg-record-decoding-int' }), log);


describeKafka("kafkajs's consumer with the record batch decoding of record-decoding.ts", () => {
  let admin: Admin;
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('reads through the broker exactly what was sent: keys, values, repeated headers, offsets, timestamps', async () => {
    expect(installed).toBe(true);
    const topic = `ifreg-test-${randomUUID()}`;
    await ensureTopics(admin, [topic], 1);
    const sent: Message[] = Array.from({ length: 240 }, (_, n) => ({
      key: n % 7 === 0 ? null : `scope-${n % 5}\u00e9`,
      value: n % 11 === 0 ? Buffer.from([n & 0xff, 0x00, 0xff]) : JSON.stringify({ n, text: 'x'.repeat(n * 3), note: '\u2713 \ud834\udd1e' }),
      timestamp: String(1_764_000_000_000 + (n % 4) * 1000 + n),
      headers: { ce_id: `m-${n}`, ...(n % 3 === 0 ? { repeated: ['a', Buffer.from([1, 2, 3]), 'c'] } : {}) },
    }));
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      // In sends of 40, so several batches; the last send compressed (kafkajs's decoder reads that one).
      for (let at = 0; at < sent.length; at += 40) {
        await producer.send({ topic, acks: -1, messages: sent.slice(at, at + 40), ...(at + 40 >= sent.length ? { compression: CompressionTypes.GZIP } : {}) });
      }
    } finally {
      await producer.disconnect();
    }
    const before = { ...recordDecodingCounts };

    const received: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: `ifreg-test-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const all = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            received.push(message);
            if (received.length === sent.length) resolve();
          },
        });
      });
      await within(all, 30_000, `${sent.length} records`);
    } finally {
      await consumer.disconnect();
    }

    const text = (v: unknown): unknown => (Buffer.isBuffer(v) ? [...v] : typeof v === 'string' ? [...Buffer.from(v)] : Array.isArray(v) ? v.map(text) : v);
    expect(received.map((m) => ({ offset: m.offset, timestamp: m.timestamp, key: text(m.key), value: text(m.value), headers: Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v)]) }))).toEqual(
      sent.map((m, n) => ({ offset: String(n), timestamp: m.timestamp, key: text(m.key), value: text(m.value), headers: Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v)]) })),
    );
    expect(recordDecodingCounts.ours - before.ours).toBeGreaterThan(0);
    expect(recordDecodingCounts.kafkajs - before.kafkajs).toBeGreaterThan(0);
  });
});
