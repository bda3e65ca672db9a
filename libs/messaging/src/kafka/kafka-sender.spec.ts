import { MAX_BYTES_PER_SEND, sendChunks } from './kafka-sender';

const message = (bytes: number, n = 0) => ({ key: `k${n}`, value: 'x'.repeat(bytes) });
const sizes = (chunks: { value?: unknown }[][]): number[] => chunks.map((c) => c.length);

describe('splitting a send into chunks', () => {
  it('keeps at most the given number of messages per chunk, in order', () => {
    const messages = Array.from({ length: 7 }, (_, n) => message(10, n));
    const chunks = sendChunks(messages, 3);
    expect(sizes(chunks)).toEqual([3, 3, 1]);
    expect(chunks.flat()).toEqual(messages);
  });

  it('keeps chunks under the byte limit, counting keys, values and headers', () => {
    const big = { key: 'k', value: 'v'.repeat(300), headers: { ce_id: 'h'.repeat(100) } };
    expect(sizes(sendChunks([big, big, big, big], 500, 1000))).toEqual([2, 2]);
    // 500 messages of 2 KB: 1 MB, more than one produce request may carry
    const chunks = sendChunks(Array.from({ length: 500 }, (_, n) => message(2048, n)));
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.reduce((n, m) => n + String(m.value).length + String(m.key).length, 0)).toBeLessThanOrEqual(MAX_BYTES_PER_SEND);
  });

  it('sends a message bigger than the limit alone rather than never', () => {
    expect(sizes(sendChunks([message(10), message(5000), message(10)], 500, 1000))).toEqual([1, 1, 1]);
    expect(sendChunks([])).toEqual([]);
  });
});
