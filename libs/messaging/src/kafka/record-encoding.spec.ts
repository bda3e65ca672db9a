import fc from 'fast-check';
import { recordEncoding, type EncodedBatch, type EncodedRecord, type KafkaBatchInput, type KafkaRecordInput } from './record-encoding';

// kafkajs's own encoders, which the sender thread replaces: the bytes must be the same.
// Its internal modules have no typings, so they are required (and typed here) rather than imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsModule = (path: string): unknown => require(`kafkajs/src/${path}`);
const kafkajsRecord = kafkajsModule('protocol/recordBatch/record/v0') as (input: KafkaRecordInput) => EncodedRecord;
const kafkajsCrc32c = kafkajsModule('protocol/recordBatch/crc32C') as (bytes: Buffer) => number;
const { RecordBatch: kafkajsBatch } = kafkajsModule('protocol/recordBatch/v0') as { RecordBatch: (input: KafkaBatchInput) => Promise<EncodedBatch> };
const Long = kafkajsModule('utils/long') as { fromValue(value: number | string): unknown };

const original = jest.fn(kafkajsRecord);
const originalBatch = jest.fn(kafkajsBatch);
const { record, recordBatch, crc32c } = recordEncoding({ record: original, recordBatch: originalBatch });

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 300 }));
const bytes = fc.oneof(text, fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)));
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const plainRecord = fc.record(
  {
    offsetDelta: fc.oneof(fc.nat({ max: 1000 }), fc.nat()),
    timestampDelta: fc.oneof(fc.constant(0), fc.integer({ min: -100_000, max: 100_000 }), int32),
    key: fc.oneof(bytes, fc.constant(null), fc.constant(undefined)),
    value: fc.oneof(bytes, fc.constant(null), fc.constant(undefined)),
    headers: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 20 }), bytes, { maxKeys: 8 }),
  },
  { requiredKeys: [] },
);

describe('the record encoding installed in the Kafka sender thread', () => {
  beforeEach(() => {
    original.mockClear();
    originalBatch.mockClear();
  });

  it('writes every record exactly as kafkajs does, headers included', () => {
    fc.assert(
      fc.property(plainRecord, (input) => {
        const ours = record(input);
        expect(ours.buffer.equals(kafkajsRecord(input).buffer)).toBe(true);
        expect(Buffer.isBuffer(ours.buf)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(original).not.toHaveBeenCalled();
  });

  it('writes an outcome record as kafkajs does', () => {
    const outcome = {
      offsetDelta: 417,
      timestampDelta: 0,
      key: 'scope-7',
      value: JSON.stringify({ type: 'InterfaceRegistered', scope: 'scope-7', note: 'é ✓ 𝄞', position: 123_456 }),
      headers: { ce_specversion: '1.0', ce_id: 'b1f9:outcome', ce_type: 'InterfaceRegistered', ce_source: 'ifreg-registrar', ce_time: '2026-11-24T12:00:00.000Z' },
    };
    expect(record(outcome).buffer).toEqual(kafkajsRecord(outcome).buffer);
  });

  it('hands records it does not write itself to kafkajs: array headers, numbers, long timestamps', () => {
    const unusual: KafkaRecordInput[] = [
      { key: 'k', value: 'v', headers: { many: ['a', 'b'] } },
      { key: 'k', value: 'v', timestampDelta: 2 ** 40 },
      { key: 'k', value: 'v', offsetDelta: 1.5 },
    ];
    for (const input of unusual) expect(record(input).buffer).toEqual(kafkajsRecord(input).buffer);
    expect(original).toHaveBeenCalledTimes(unusual.length);
  });

  it('writes every uncompressed batch exactly as kafkajs does', async () => {
    const int64 = fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => Long.fromValue(String(n))));
    const batch = fc.record({
      compression: fc.constant(0),
      firstOffset: int64,
      firstTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      maxTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      lastOffsetDelta: fc.nat(),
      transactional: fc.boolean(),
      producerId: int64,
      producerEpoch: fc.integer({ min: -1, max: 2 ** 15 - 1 }),
      firstSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      records: fc.array(plainRecord.map(record), { maxLength: 20 }),
    }, { requiredKeys: ['records', 'firstTimestamp', 'maxTimestamp'] }); // without them, each side takes its own Date.now()
    await fc.assert(
      fc.asyncProperty(batch, async (input) => {
        const [ours, theirs] = [await recordBatch(input), await kafkajsBatch(input)];
        expect(ours.buffer.equals(theirs.buffer)).toBe(true);
        expect(ours.size()).toBe(theirs.size());
      }),
      { numRuns: 500 },
    );
    expect(originalBatch).not.toHaveBeenCalled();
  });

  it('hands compressed batches to kafkajs', async () => {
    const input = { compression: 1, firstTimestamp: 1, maxTimestamp: 2, records: [record({ key: 'k', value: 'v' })] };
    expect((await recordBatch(input)).buffer).toEqual((await kafkajsBatch(input)).buffer);
    expect(originalBatch).toHaveBeenCalledTimes(1);
  });

  it('computes the CRC-32C of any bytes as kafkajs does', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the check value of CRC-32C
    fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), (a) => crc32c(Buffer.from(a)) === kafkajsCrc32c(Buffer.from(a))), { numRuns: 500 });
  });
});
