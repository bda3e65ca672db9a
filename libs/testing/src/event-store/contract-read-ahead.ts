/// <reference types="jest" />
import { NO_STREAM, PageReaderClosedError, readAhead, type FoldableEvent, type PageReader } from '@ifreg/ports';
import { makeEvents, type StoreFixture } from './contract-fixture';

const foldable = ({ position, stream, data }: FoldableEvent): FoldableEvent => ({ position, stream, data });

async function pagesOf(reader: PageReader): Promise<FoldableEvent[][]> {
  const pages: FoldableEvent[][] = [];
  for (let page = await reader.next(); page.length > 0; page = await reader.next()) pages.push(page.map(foldable));
  return pages;
}

/** readAhead(): the store's own reader (EventStore.readAhead) or, without one, readAll pages. */
export function readAheadContract({ store }: StoreFixture): void {
  describe('reading a range ahead of its consumer', () => {
    it('answers the events of (from, to] as readAll has them, in pages of at most pageSize, then empty pages', async () => {
      // given
      await store().append('order-1', makeEvents('a', 4), NO_STREAM);
      await store().append('order-2', makeEvents('b', 3), NO_STREAM);
      await store().append('order-1', makeEvents('c', 2), 3);
      const all = await store().readAll(0, 100);
      const [first, , , , , , , last] = all.map((e) => e.position);
      const reader = readAhead(store(), { from: first ?? 0, to: last ?? 0, pageSize: 2 });
      try {
        // when
        const pages = await pagesOf(reader);
        // then
        expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
        expect(pages.flat()).toEqual(all.slice(1, 8).map(foldable));
        expect(await reader.next()).toEqual([]);
      } finally {
        await reader.close();
      }
    });

    it('reads a whole store up to its head, and nothing of an empty range', async () => {
      await store().append('order-1', makeEvents('a', 25), NO_STREAM);
      const head = await store().headPosition();
      const whole = readAhead(store(), { from: 0, to: head, pageSize: 3 });
      const empty = readAhead(store(), { from: head, to: head, pageSize: 3 });
      try {
        expect((await pagesOf(whole)).flat()).toEqual((await store().readAll(0, 100)).map(foldable));
        expect(await empty.next()).toEqual([]);
      } finally {
        await whole.close();
        await empty.close();
      }
    });

    it('fails next() once closed, and may be closed more than once', async () => {
      await store().append('order-1', makeEvents('a', 5), NO_STREAM);
      const reader = readAhead(store(), { from: 0, to: await store().headPosition(), pageSize: 2 });
      expect(await reader.next()).toHaveLength(2);
      await reader.close();
      await reader.close();
      await expect(reader.next()).rejects.toThrow(PageReaderClosedError);
    });
  });
}
