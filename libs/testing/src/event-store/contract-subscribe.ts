/// <reference types="jest" />
import { sleep, waitFor } from '../wait';
import { makeEvents, type StoreFixture } from './contract-fixture';
import { ANY, NO_STREAM, type RecordedEvent } from '@ifreg/ports';

export function subscribeContract({ store, track }: StoreFixture): void {
  describe('subscribing to all from 0', () => {
    it('delivers the history, then live events, in order and in bounded batches', async () => {
      await store().append('order-1', makeEvents('a', 3), NO_STREAM);
      await store().append('order-2', makeEvents('b', 2), NO_STREAM);
      const received: RecordedEvent[] = [];
      const batchSizes: number[] = [];
      track(store().subscribeAll((batch) => {
        batchSizes.push(batch.length);
        received.push(...batch);
      }, { from: 0, batchSize: 2 }));
      await waitFor(() => received.length >= 5, 5000, 'the history');
      await store().append('order-1', makeEvents('c', 2), 2);
      await store().append('order-3', makeEvents('d', 1), NO_STREAM);
      await waitFor(() => received.length >= 8, 5000, 'the live events');
      await sleep(50);
      expect(received).toEqual(await store().readAll(0, 100));
      expect(received.map((e) => e.id)).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1', 'c-0', 'c-1', 'd-0']);
      expect(Math.max(...batchSizes)).toBeLessThanOrEqual(2);
    });
  });

  describe('subscribing from a position in the middle', () => {
    it('delivers only the later events', async () => {
      await store().append('order-1', makeEvents('a', 5), NO_STREAM);
      const third = (await store().readAll(0, 3)).at(-1)?.position ?? 0;
      const received: RecordedEvent[] = [];
      track(store().subscribeAll((batch) => void received.push(...batch), { from: third }));
      await waitFor(() => received.length >= 2, 5000, 'events 4 and 5');
      await store().append('order-1', makeEvents('b', 1), ANY);
      await waitFor(() => received.length >= 3, 5000, 'event 6');
      await sleep(50);
      expect(received.map((e) => e.id)).toEqual(['a-3', 'a-4', 'b-0']);
    });
  });

  describe('resuming from the last delivered position', () => {
    it('delivers exactly the rest, without duplicates', async () => {
      await store().append('order-1', makeEvents('a', 10), NO_STREAM);
      const before: RecordedEvent[] = [];
      const first = track(store().subscribeAll(async (batch) => {
        before.push(...batch);
        await sleep(50);
      }, { from: 0, batchSize: 2 }));
      await waitFor(() => before.length >= 2, 5000, 'a first batch');
      await first.close();
      const checkpoint = before.at(-1)?.position ?? 0;
      expect(before.length).toBeLessThan(10);
      const after: RecordedEvent[] = [];
      track(store().subscribeAll((batch) => void after.push(...batch), { from: checkpoint }));
      await store().append('order-1', makeEvents('b', 2), 9);
      await waitFor(() => before.length + after.length >= 12, 5000, 'the rest');
      await sleep(50);
      expect([...before, ...after]).toEqual(await store().readAll(0, 100));
      expect(before.length + after.length).toBe(12);
    });
  });

  describe('closing a subscription', () => {
    it('waits for the running handler call and stops delivery', async () => {
      const received: RecordedEvent[] = [];
      let finished = false;
      const subscription = track(store().subscribeAll(async (batch) => {
        received.push(...batch);
        await sleep(100);
        finished = true;
      }, { from: 0 }));
      await store().append('order-1', makeEvents('a', 1), NO_STREAM);
      await waitFor(() => received.length >= 1, 5000, 'the first event');
      await subscription.close();
      expect(finished).toBe(true);
      await store().append('order-1', makeEvents('b', 1), 0);
      await sleep(300);
      expect(received.map((e) => e.id)).toEqual(['a-0']);
    });
  });

  describe('a handler that throws', () => {
    it('stops the subscription and reports the error to onError', async () => {
      const errors: unknown[] = [];
      let calls = 0;
      track(store().subscribeAll(() => {
        calls++;
        throw new Error('projection bug');
      }, { from: 0, onError: (error) => errors.push(error) }));
      await store().append('order-1', makeEvents('a', 1), NO_STREAM);
      await waitFor(() => errors.length >= 1, 5000, 'onError');
      await store().append('order-1', makeEvents('b', 1), 0);
      await sleep(300);
      expect(calls).toBe(1);
      expect(errors).toEqual([new Error('projection bug')]);
    });
  });
}
