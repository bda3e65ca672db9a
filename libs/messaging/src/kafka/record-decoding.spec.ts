import fc from 'fast-check';
import { inspect } from 'node:util';
import { recordDecoding, type DecodedBatch, type DecodingCounts, type KafkaFetchDecoder, type RecordBatchDecoder } from './record-decoding';
import type { EncodedBatch, EncodedRecord, KafkaBatchInput, KafkaRecordInput } from './record-encoding';

// kafkajs's own decoder, which the registrar's consumer replaces: the output must be the same.
// Its internal modules have no typings, so they are required (and typed here) rather than imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsModule = (path: string): unknown => require(`kafkajs/src/${path}`);
const kafkajsDecoder = kafkajsModule('protocol/recordBatch/v0/decoder') as RecordBatchDecoder;
const Decoder = kafkajsModule('protocol/decoder') as new (buffer: Buffer) => KafkaFetchDecoder & { canReadBytes(n: number): boolean };
const { KafkaJSPartialMessageError } = kafkajsModule('errors') as { KafkaJSPartialMessageError: new (message: string) => Error };
const kafkajsRecord = kafkajsModule('protocol/recordBatch/record/v0') as (input: KafkaRecordInput) => EncodedRecord;
const { RecordBatch: kafkajsBatch } = kafkajsModule('protocol/recordBatch/v0') as { RecordBatch: (input: KafkaBatchInput) => Promise<EncodedBatch> };
const Long = kafkajsModule('utils/long') as { fromValue(value: number | string): unknown };

const counts: DecodingCounts = { ours: 0, kafkajs: 0 };
const ours = recordDecoding({ recordBatch: kafkajsDecoder, partialMessageError: KafkaJSPartialMessageError }, counts);
// Damaged bytes may make kafkajs's decoder loop for billions of records: those it is not asked about.
const handedOn = 'handed on to kafkajs';
const oursAlone = recordDecoding({ recordBatch: () => Promise.reject(new Error(handedOn)), partialMessageError: KafkaJSPartialMessageError });

type Outcome = { readonly batches: DecodedBatch[]; readonly error?: string; readonly offset: number };

/** kafkajs's fetch/v4/decodeMessages loop over the batches of a buffer, with one decoder or the other. */
async function decodeAll(decode: RecordBatchDecoder, bytes: Buffer): Promise<Outcome> {
  const decoder = new Decoder(bytes);
  const batches: DecodedBatch[] = [];
  try {
    while (decoder.canReadBytes(49)) batches.push(await decode(decoder));
  } catch (error) {
    const { name, message } = error as Error;
    if (name !== 'KafkaJSPartialMessageError') return { batches, error: `${name}: ${message}`, offset: decoder.offset };
  }
  return { batches, offset: decoder.offset };
}

/**
 * Equal as kafkajs's consumer sees them, key order and classes included (with `alone`: unless
 * handed on to kafkajs). Compared as inspected text: toStrictEqual takes a header named
 * "constructor" for the object's class.
 */
async function expectSame(bytes: Buffer, alone = false): Promise<void> {
  const mine = await decodeAll(alone ? oursAlone : ours, bytes);
  if (mine.error?.endsWith(handedOn)) return;
  const theirs = await decodeAll(kafkajsDecoder, bytes);
  const text = (o: Outcome): string => inspect(o, { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity, showHidden: false });
  expect(text(mine)).toBe(text(theirs));
}

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 300 }));
const bytes = fc.oneof(text, fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)));
const headerName = fc.oneof({ arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 6 }, fc.constantFrom('ce_id', 'constructor', 'toString', '__proto__', '0', '7'));
const headerValue = fc.oneof(bytes, fc.array(bytes, { minLength: 1, maxLength: 3 }));
const record = fc.record(
  {
    offsetDelta: fc.oneof(fc.nat({ max: 1000 }), fc.nat()),
    timestampDelta: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.integer({ min: -100_000, max: 100_000 }), weight: 4 }, fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
    key: fc.oneof(bytes, fc.constant(null)),
    value: fc.oneof(bytes, fc.constant(null)),
    headers: fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
  },
  { requiredKeys: [] },
);
const int64 = fc.oneof(fc.integer({ min: -1, max: 2 ** 31 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => Long.fromValue(String(n))));
const batch = fc.record(
  {
    compression: fc.constantFrom(0, 0, 0, 1),
    firstOffset: int64,
    firstTimestamp: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 45 }), int64),
    maxTimestamp: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), int64),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    lastOffsetDelta: fc.nat(),
    transactional: fc.boolean(),
    producerId: int64,
    producerEpoch: fc.integer({ min: -1, max: 2 ** 15 - 1 }),
    firstSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    records: fc.array(record.map(kafkajsRecord), { maxLength: 12 }),
  },
  { requiredKeys: ['records', 'firstTimestamp', 'maxTimestamp', 'compression', 'transactional'] },
);

/** Batch attributes: the timestamp type and control bits, which kafkajs's encoder never sets. */
function withAttributes(encoded: Buffer, bits: number): Buffer {
  const copy = Buffer.from(encoded);
  copy.writeInt16BE(copy.readInt16BE(21) | bits, 21);
  return copy;
}

describe("the record batch decoding installed in the registrar's consumer", () => {
  it('reads every batch exactly as kafkajs does: offsets, timestamps, keys, values, repeated and odd headers', async () => {
    const before = counts.ours;
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 3 }), fc.constantFrom(0, 0, 0x08, 0x20), async (inputs, bits) => {
        const encoded = await Promise.all(inputs.map(async (input) => withAttributes((await kafkajsBatch(input)).buffer, bits)));
        await expectSame(Buffer.concat(encoded));
      }),
      { numRuns: 400 },
    );
    expect(counts.ours - before).toBeGreaterThan(100); // not all handed on
  });

  it('decodes plain batches itself and hands compressed, transactional and control batches to kafkajs', async () => {
    const records = [kafkajsRecord({ key: 'k', value: 'v', offsetDelta: 0, timestampDelta: 0 })];
    const plain = (await kafkajsBatch({ firstTimestamp: 1, maxTimestamp: 2, records })).buffer;
    const before = { ...counts };
    await expectSame(plain);
    expect(counts.ours - before.ours).toBe(1);
    for (const unusual of [
      (await kafkajsBatch({ compression: 1, firstTimestamp: 1, maxTimestamp: 2, records })).buffer,
      (await kafkajsBatch({ transactional: true, firstTimestamp: 1, maxTimestamp: 2, records })).buffer,
      withAttributes(plain, 0x20),
    ]) {
      const was = counts.kafkajs;
      await expectSame(unusual);
      expect(counts.kafkajs).toBe(was + 1);
    }
  });

  it('stops at a batch cut short as kafkajs does, and reads damaged bytes as kafkajs does', async () => {
    const input = fc.tuple(fc.array(batch, { minLength: 1, maxLength: 2 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }), fc.nat());
    await fc.assert(
      fc.asyncProperty(input, async ([inputs, damage, cut]) => {
        const whole = Buffer.concat(await Promise.all(inputs.map(async (i) => (await kafkajsBatch(i)).buffer)));
        const damaged = Buffer.from(whole);
        for (const [at, value] of damage) damaged[at % damaged.length] = value;
        await expectSame(damaged, true);
        await expectSame(whole.subarray(0, cut % (whole.length + 1)));
      }),
      { numRuns: 400 },
    );
  });
});
