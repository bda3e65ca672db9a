import { START, type Position } from '@eventstore/db-client';
import { NO_STREAM } from '@ifreg/ports';
import { backoffDelay, retryTransient } from '../backoff';
import { GlobalOrder, comparePositions, type IndexedEvent } from './global-order';
import { NextRun } from './next-run';

const at = (commit: number, prepare = commit): Position => ({ commit: BigInt(commit), prepare: BigInt(prepare) });
const event = (stream: string, revision: number, position: Position): IndexedEvent => ({ stream, revision, eventId: `${stream}/${revision}`, position });

describe('comparing $all positions', () => {
  it('orders by commit position, then prepare position', () => {
    expect(comparePositions(at(10, 10), at(20, 5))).toBe(-1);
    expect(comparePositions(at(20, 30), at(20, 25))).toBe(1);
    expect(comparePositions(at(20, 25), at(20, 25))).toBe(0);
  });
});

describe('numbering events in $all order', () => {
  it('gives our events positions 1, 2, 3 whatever their offsets in the log', () => {
    const order = new GlobalOrder();
    order.accept(1, event('order-1', 0, at(1200)));
    order.accept(2, event('order-2', 0, at(5000, 5000)));
    order.accept(3, event('order-1', 1, at(5000, 5300)));
    expect(order.head).toBe(3);
    expect([order.numberOf('order-1', 0), order.numberOf('order-2', 0), order.numberOf('order-1', 1)]).toEqual([1, 2, 3]);
    expect(order.positionOf(0)).toBe(START);
    expect(order.positionOf(3)).toEqual(at(5000, 5300));
    expect(order.streamRevision('order-1')).toBe(1);
    expect(order.streamRevision('order-9')).toBe(NO_STREAM);
    expect(order.revisionOf('order-1', 'order-1/1')).toBe(1);
    expect(order.revisionOf('order-2', 'order-1/1')).toBeUndefined();
  });

  it('starts after the origin when given one', () => {
    const origin = at(900);
    expect(new GlobalOrder(origin).positionOf(0)).toBe(origin);
  });

  it('accepts a number again when it agrees, as a second reader of the same $all does', () => {
    const order = new GlobalOrder();
    order.accept(1, event('order-1', 0, at(100)));
    order.accept(1, event('order-1', 0, at(100)));
    expect(order.head).toBe(1);
  });

  it('refuses a changed event, a gap and a position going backwards', () => {
    const order = new GlobalOrder();
    order.accept(1, event('order-1', 0, at(100)));
    expect(() => order.accept(1, event('order-1', 0, at(150)))).toThrow(/global order changed/);
    expect(() => order.accept(3, event('order-1', 1, at(300)))).toThrow(/gap/);
    expect(() => order.accept(2, event('order-1', 1, at(50)))).toThrow(/not increasing/);
    expect(() => order.positionOf(2)).toThrow(RangeError);
  });

  it('grows past its initial capacity', () => {
    const order = new GlobalOrder();
    for (let n = 1; n <= 5000; n++) order.accept(n, event('order-1', n - 1, at(n * 100)));
    expect(order.head).toBe(5000);
    expect(order.positionOf(4321)).toEqual(at(432_100));
    expect(order.numberOf('order-1', 4999)).toBe(5000);
  });
});

describe('sharing refreshes between concurrent callers', () => {
  it('runs once for callers arriving together and once more for those arriving during the run', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const next = new NextRun(async () => {
      runs += 1;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    const first = next.run();
    const during = [next.run(), next.run(), next.run()];
    expect(runs).toBe(1);
    release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    release();
    await Promise.all(during);
    expect(runs).toBe(2);
    const later = next.run();
    release();
    await later;
    expect(runs).toBe(3);
  });

  it('lets a failed run reject its callers but not the next run', async () => {
    let fail = true;
    const next = new NextRun(async () => {
      if (fail) throw new Error('read failed');
    });
    await expect(next.run()).rejects.toThrow('read failed');
    fail = false;
    await expect(next.run()).resolves.toBeUndefined();
  });
});

describe('retrying transient failures', () => {
  const policy = { minMs: 1, maxMs: 4, retries: 3 };
  const transient = (error: unknown): boolean => error instanceof Error && error.message === 'unavailable';

  it('doubles the pause up to the cap', () => {
    expect([0, 1, 2, 3, 10].map((f) => backoffDelay(f, { minMs: 100, maxMs: 5000 }))).toEqual([100, 200, 400, 800, 5000]);
  });

  it('retries a transient failure and answers the result', async () => {
    let calls = 0;
    const result = await retryTransient(async () => {
      if (++calls < 3) throw new Error('unavailable');
      return 'ok';
    }, transient, policy, new AbortController().signal);
    expect([result, calls]).toEqual(['ok', 3]);
  });

  it('lets the error through after the last retry, and other errors at once', async () => {
    let calls = 0;
    const always = retryTransient(async () => {
      calls++;
      throw new Error('unavailable');
    }, transient, policy, new AbortController().signal);
    await expect(always).rejects.toThrow('unavailable');
    expect(calls).toBe(4);
    await expect(retryTransient(async () => {
      throw new Error('bug');
    }, transient, policy, new AbortController().signal)).rejects.toThrow('bug');
  });

  it('answers undefined once stopped', async () => {
    const stop = new AbortController();
    stop.abort();
    expect(await retryTransient(async () => 'never', transient, policy, stop.signal)).toBeUndefined();
  });
});
