import type { EventStore, RecordedEvent } from './event-store';
import { PageReaderClosedError, pagesByReadAll, readAhead } from './read-ahead';

const recorded = (position: number): RecordedEvent => ({ id: `e-${position}`, type: 'Tested', data: { position }, metadata: {}, stream: 's', revision: position - 1, position, recordedAt: '2026-11-24T12:00:00.000Z' });

/** A store of events at positions 1..count whose readAll calls are counted, and fail from the `failAt`-th on. */
function pagedStore(count: number, failAt = Number.POSITIVE_INFINITY): EventStore & { calls: number } {
  const store = {
    calls: 0,
    readAll: async (from: number, limit: number) => {
      store.calls += 1;
      if (store.calls >= failAt) throw new Error('the store went away');
      return Array.from({ length: Math.max(0, Math.min(limit, count - from)) }, (_, i) => recorded(from + i + 1));
    },
  };
  return store as unknown as EventStore & { calls: number };
}

describe('reading ahead by readAll pages (a store without a reader of its own)', () => {
  it('has the next page read while the consumer handles this one, and stops at the end of the range', async () => {
    const store = pagedStore(10);
    const reader = readAhead(store, { from: 2, to: 8, pageSize: 4 });
    const first = await reader.next();
    expect(first.map((e) => e.position)).toEqual([3, 4, 5, 6]);
    expect(store.calls).toBe(2);
    expect((await reader.next()).map((e) => e.position)).toEqual([7, 8]);
    expect(await reader.next()).toEqual([]);
    expect(await reader.next()).toEqual([]);
    await reader.close();
  });

  it('fails next() with the store\'s error when a read fails, every time after it too', async () => {
    const reader = pagesByReadAll(pagedStore(10, 2), { from: 0, to: 10, pageSize: 4 });
    expect(await reader.next()).toHaveLength(4);
    await expect(reader.next()).rejects.toThrow('the store went away');
    await expect(reader.next()).rejects.toThrow('the store went away');
    await reader.close();
  });

  it('leaves no read failing unheard when it is closed with one under way', async () => {
    const reader = pagesByReadAll(pagedStore(10, 1), { from: 0, to: 10, pageSize: 4 });
    await reader.close();
    await expect(reader.next()).rejects.toThrow(PageReaderClosedError);
  });
});
