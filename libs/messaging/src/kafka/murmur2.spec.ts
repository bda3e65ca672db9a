import fc from 'fast-check';
import { murmur2 } from './murmur2';

// kafkajs's own, which the sender thread's partitioner replaces: every key must go to the same partition.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: unknown) => number;

describe("the sender thread's murmur2", () => {
  it('hashes every key as kafkajs does: strings, bytes, numbers', () => {
    const key = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.integer(),
      fc.constant(''),
    );
    fc.assert(fc.property(key, (k) => murmur2(k) === kafkajsMurmur2(k)), { numRuns: 3000 });
  });

  it("gives Kafka's values for known keys", () => {
    // From Kafka's UtilsTest.testMurmur2 (Java's signed ints).
    const cases: [string, number][] = [['21', -973932308], ['foobar', -790332482], ['a-little-bit-long-string', -985981536], ['a-little-bit-longer-string', -1486304829], ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971], ['abc', 479470107]];
    for (const [text, value] of cases) expect(murmur2(Buffer.from(text))).toBe(value);
  });
});
