import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { sendChunks } from './kafka-sender';
import { packMessages, unpackMessages } from './packed-messages';

const asBytes = (x: unknown): Buffer | null => (x == null ? null : Buffer.isBuffer(x) ? x : Buffer.from(x as string, 'utf8'));
/** What the thread sends for a message: its strings as their UTF-8 bytes. */
const sent = ({ key, value, headers }: Message) => ({
  key: asBytes(key),
  value: asBytes(value),
  headers: Object.fromEntries(Object.entries(headers ?? {}).map(([name, v]) => [name, asBytes(v)])),
});
/** Through the thread boundary: the bytes arrive as a plain Uint8Array over a new ArrayBuffer. */
const moved = (bytes: Uint8Array): Uint8Array => new Uint8Array(structuredClone(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
const field = fc.oneof(text, fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)));
const message = fc.record(
  { key: fc.oneof(field, fc.constant(null)), value: fc.oneof(field, fc.constant(null)), headers: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 12 }), field, { maxKeys: 6 }) },
  { requiredKeys: ['value'] },
);

describe('messages packed for the sender thread', () => {
  it('unpack to the same keys, values and headers, cut into the chunks sendChunks makes', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 400 }), (messages, maxCount, maxBytes) => {
        const packed = packMessages(messages, maxCount, maxBytes) ?? [];
        const unpacked = packed.map((chunk) => unpackMessages({ ...chunk, bytes: moved(chunk.bytes) }));
        expect(unpacked.map((c) => c.length)).toEqual(sendChunks(messages, maxCount, maxBytes).map((c) => c.length));
        expect(unpacked.flat().map(sent)).toEqual(messages.map(sent));
      }),
      { numRuns: 500 },
    );
  });

  it('leave messages with anything else to the clone: a partition, a timestamp, repeated or missing header values', () => {
    for (const odd of [{ value: 'v', partition: 1 }, { value: 'v', timestamp: '1' }, { value: 'v', headers: { h: ['a', 'b'] } }, { value: 'v', headers: { h: undefined } }]) {
      expect(packMessages([{ key: 'k', value: 'v' }, odd as Message])).toBeUndefined();
    }
  });
});
