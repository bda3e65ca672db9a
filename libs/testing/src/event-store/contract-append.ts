/// <reference types="jest" />
import { increasing, makeEvents, range, type StoreFixture } from './contract-fixture';
import { ANY, ConcurrencyError, DuplicateEventsError, NO_STREAM, type EventData, type EventStore } from '@ifreg/ports';

async function appendWithRetry(store: EventStore, stream: string, event: EventData, onConflict: () => void): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const revision = (await store.readStream(stream)).at(-1)?.revision ?? NO_STREAM;
    try {
      await store.append(stream, [event], revision);
      return;
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      onConflict();
    }
  }
  throw new Error(`gave up appending ${event.id} after 100 conflicts`);
}

export function appendContract({ store }: StoreFixture): void {
  describe('appending to a new stream with NO_STREAM', () => {
    it('records the events with revisions from 0 and answers the next expected revision', async () => {
      const result = await store().append('order-1', makeEvents('a', 2), NO_STREAM);
      const read = await store().readStream('order-1');
      expect(result).toEqual({ nextExpectedRevision: 1, position: read[1]?.position });
      expect(read.map((e) => [e.id, e.revision])).toEqual([['a-0', 0], ['a-1', 1]]);
      expect(increasing(read.map((e) => e.position))).toBe(true);
      expect(read[0]).toMatchObject({ stream: 'order-1', type: 'Tested', data: { prefix: 'a', i: 0 }, metadata: { causationId: 'a-cause' } });
      expect(new Date(read[0]?.recordedAt ?? '').toISOString()).toBe(read[0]?.recordedAt);
    });
  });

  describe('appending events whose data the caller serialised already (dataJson)', () => {
    it('records the same data as from data alone', async () => {
      const data = { scope: 'host-1', text: 'é "quoted" \\ 🙂', list: [1, null, { deep: true }] };
      await store().append('order-1', [{ id: 'j-0', type: 'Tested', data, dataJson: JSON.stringify(data) }, { id: 'j-1', type: 'Tested', data }], NO_STREAM);
      expect((await store().readStream('order-1')).map((e) => e.data)).toEqual([data, data]);
    });
  });

  describe('appending with a wrong expected revision', () => {
    it('rejects with a ConcurrencyError naming the actual revision and writes nothing', async () => {
      await store().append('order-1', makeEvents('a', 2), NO_STREAM);
      const again = store().append('order-1', makeEvents('b', 1), NO_STREAM);
      await expect(again).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(again).rejects.toMatchObject({ stream: 'order-1', expected: NO_STREAM, actual: 1 });
      await expect(store().append('order-1', makeEvents('c', 1), 5)).rejects.toMatchObject({ expected: 5, actual: 1 });
      await expect(store().append('order-2', makeEvents('d', 1), 0)).rejects.toMatchObject({ expected: 0, actual: NO_STREAM });
      expect(await store().headPosition()).toBe((await store().readAll(0, 10)).at(-1)?.position);
    });
  });

  describe("appending with 'any'", () => {
    it('appends whatever the stream revision is', async () => {
      await store().append('order-1', makeEvents('a', 1), ANY);
      const result = await store().append('order-1', makeEvents('b', 2), ANY);
      expect(result.nextExpectedRevision).toBe(2);
      expect((await store().readStream('order-1')).map((e) => e.revision)).toEqual([0, 1, 2]);
    });
  });

  describe('ten appenders racing on one stream, retrying on conflict', () => {
    it('keeps every event once, with consecutive revisions', async () => {
      let conflicts = 0;
      const appender = async (w: number): Promise<void> => {
        for (const event of makeEvents(`w${w}`, 5)) await appendWithRetry(store(), 'order-1', event, () => conflicts++);
      };
      await Promise.all(range(0, 9).map(appender));
      const read = await store().readStream('order-1');
      expect(read.map((e) => e.revision)).toEqual(range(0, 49));
      expect(new Set(read.map((e) => e.id)).size).toBe(50);
      expect(conflicts).toBeGreaterThan(0);
    });
  });

  describe('re-appending event ids already in the stream (a redelivered message)', () => {
    it('is a no-op answering the same result', async () => {
      const first = await store().append('order-1', makeEvents('a', 3), NO_STREAM);
      expect(await store().append('order-1', makeEvents('a', 3), NO_STREAM)).toEqual(first);
      expect(await store().append('order-1', makeEvents('a', 3), ANY)).toEqual(first);
      expect(await store().readStream('order-1')).toHaveLength(3);
      expect(await store().headPosition()).toBe(first.position);
    });

    it('rejects a batch that is only partly recorded', async () => {
      await store().append('order-1', makeEvents('a', 2), NO_STREAM);
      const stale = store().append('order-1', makeEvents('a', 3), NO_STREAM);
      await expect(stale).rejects.toBeInstanceOf(ConcurrencyError);
      const current = store().append('order-1', makeEvents('a', 3), 1);
      await expect(current).rejects.toThrow(/2 of 3 event ids are already recorded/);
      await expect(current).rejects.toBeInstanceOf(DuplicateEventsError);
      expect(store().isTransient(await current.catch((error: unknown) => error))).toBe(true);
      expect((await store().readAll(0, 10)).map((e) => e.id)).toEqual(['a-0', 'a-1']);
    });
  });

  describe('reading events by id (is this message recorded, and as what?)', () => {
    it('answers the stream\'s events with those ids, in stream order, and nothing else', async () => {
      await store().append('order-1', makeEvents('a', 4), NO_STREAM);
      await store().append('order-2', makeEvents('b', 2), NO_STREAM);
      const found = await store().readByIds('order-1', ['a-3', 'a-1', 'b-0', 'never', 'a-1']);
      expect(found.map((e) => [e.id, e.revision, e.stream])).toEqual([['a-1', 1, 'order-1'], ['a-3', 3, 'order-1']]);
      expect(found[0]).toMatchObject({ type: 'Tested', data: { prefix: 'a', i: 1 } });
      expect(await store().readByIds('order-2', ['a-1'])).toEqual([]);
      expect(await store().readByIds('nowhere', ['a-1'])).toEqual([]);
      expect(await store().readByIds('order-1', [])).toEqual([]);
    });

    it('tells lasting errors from transient ones', () => {
      expect(store().isTransient(new ConcurrencyError('order-1', 0, 1))).toBe(true);
      expect(store().isTransient(new TypeError('a bug'))).toBe(false);
      expect(store().isTransient(new Error('something else'))).toBe(false);
    });
  });

  describe('a batch of 10,000 events in one append', () => {
    it('is recorded whole and reads back intact', async () => {
      const batch = makeEvents('big', 10_000);
      const result = await store().append('order-1', batch, NO_STREAM);
      const read = await store().readStream('order-1');
      expect(result).toEqual({ nextExpectedRevision: 9_999, position: read.at(-1)?.position });
      expect(read.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }))).toEqual(batch);
      expect(read.map((e) => e.revision)).toEqual(range(0, 9_999));
    });
  });

  describe('reading one stream from a revision', () => {
    it('answers that revision and the later ones; an unknown stream is empty', async () => {
      await store().append('order-1', makeEvents('a', 5), NO_STREAM);
      expect((await store().readStream('order-1', 2)).map((e) => e.revision)).toEqual([2, 3, 4]);
      expect(await store().readStream('order-1', 5)).toEqual([]);
      expect(await store().readStream('order-unknown')).toEqual([]);
    });
  });

  describe('reading all streams', () => {
    it('answers events in commit order with unique, increasing positions, and resumes after any of them', async () => {
      expect(await store().headPosition()).toBe(0);
      await store().append('order-1', makeEvents('a', 2), NO_STREAM);
      await store().append('order-2', makeEvents('b', 3), NO_STREAM);
      await store().append('order-1', makeEvents('c', 1), 1);
      const all = await store().readAll(0, 100);
      const positions = all.map((e) => e.position);
      expect(increasing(positions) && positions.every(Number.isSafeInteger) && (positions[0] ?? 0) > 0).toBe(true);
      expect(all.map((e) => e.id)).toEqual(['a-0', 'a-1', 'b-0', 'b-1', 'b-2', 'c-0']);
      expect((await store().readAll(positions[1] ?? 0, 3)).map((e) => e.id)).toEqual(['b-0', 'b-1', 'b-2']);
      expect(await store().readAll(positions[5] ?? 0, 100)).toEqual([]);
      expect(await store().headPosition()).toBe(positions[5]);
    });
  });

  describe('appends to several streams made at the same time (a group commit where the store has one)', () => {
    it('settle one by one: a conflicting append fails alone, a redelivered one answers its recorded state', async () => {
      const first = await store().append('order-1', makeEvents('old', 2), NO_STREAM);
      const settled = await Promise.allSettled([
        store().append('order-2', makeEvents('a', 2), NO_STREAM),
        store().append('order-1', makeEvents('b', 1), NO_STREAM), // stale
        store().append('order-1', makeEvents('old', 2), 1), // redelivered
        store().append('order-3', makeEvents('c', 1), NO_STREAM),
        store().append('order-4', [...makeEvents('d', 1), ...makeEvents('d', 1)], NO_STREAM), // repeats an id
      ]);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
      expect(settled[4]?.status === 'rejected' && String(settled[4].reason)).toMatch(/repeats an event id/);
      expect(settled[1]?.status === 'rejected' && settled[1].reason instanceof ConcurrencyError).toBe(true);
      expect(settled[2]).toEqual({ status: 'fulfilled', value: first });
      const all = await store().readAll(0, 100);
      expect(increasing(all.map((e) => e.position))).toBe(true);
      expect(all.map((e) => e.id).sort()).toEqual(['a-0', 'a-1', 'c-0', 'old-0', 'old-1']);
    });
  });

  describe('an append made just before close()', () => {
    it('is committed, not dropped', async () => {
      const appended = store().append('order-1', makeEvents('a', 2), NO_STREAM);
      await store().close();
      await expect(appended).resolves.toMatchObject({ nextExpectedRevision: 1 });
    });
  });
}
