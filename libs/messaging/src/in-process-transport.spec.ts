import type { RegistryEvent } from '@ifreg/domain';
import { InProcessTransport } from './in-process-transport';
import { OutcomeTimeoutError, OutcomeWaiter } from './outcome-waiter';
import { BatchRetryError, type InboundMessage, type OutboundMessage, type Outcome } from '@ifreg/ports';
import { waitFor } from '@ifreg/testing';

const message = (n: number, scope = 'host-a'): OutboundMessage => ({ key: scope, value: JSON.stringify({ n }), headers: { ce_id: `m-${n}` } });
const numbers = (batch: readonly InboundMessage[]): number[] => batch.map((m) => (JSON.parse(m.value.toString()) as { n: number }).n);

function outcome(causationId: string): Outcome {
  const event: RegistryEvent = { type: 'BootEpochStarted', scope: 'host-a', epoch: 1, causationId, at: '2026-11-24T12:00:00.000Z' };
  return { scope: 'host-a', event, position: 1 };
}

let transport: InProcessTransport;

afterEach(async () => {
  await transport.stop();
});

describe('messages sent before and after the consumer starts', () => {
  it('are handed over in order, in batches of at most batchSize, with key, headers and origin', async () => {
    // given
    transport = new InProcessTransport({ batchSize: 3 });
    const batches: InboundMessage[][] = [];
    await transport.send([1, 2, 3, 4].map((n) => message(n)));
    // when
    await transport.start(async (batch) => {
      batches.push([...batch]);
    });
    await transport.send([5, 6, 7].map((n) => message(n)));
    await waitFor(() => batches.flat().length === 7, 2000, 'seven messages');
    // then
    expect(batches.flatMap(numbers)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(batches.every((b) => b.length >= 1 && b.length <= 3)).toBe(true);
    expect(batches[0]?.[0]).toMatchObject({ key: 'host-a', headers: { ce_id: 'm-1' }, origin: { transport: 'in-process' } });
    expect(transport.pending).toBe(0);
  });

  it('wait for a consumer, whenever it starts', async () => {
    // given: nothing consumes yet
    transport = new InProcessTransport();
    await transport.send([message(1)]);
    expect(transport.pending).toBe(1);
    // when
    const handled: number[] = [];
    await transport.start(async (batch) => {
      handled.push(...numbers(batch));
    });
    await waitFor(() => handled.length === 1, 2000, 'the waiting message');
    // then
    expect(handled).toEqual([1]);
    expect(transport.pending).toBe(0);
  });
});

describe('a handler that throws once', () => {
  it('gets the same batch again and nothing is dropped (at least once)', async () => {
    // given
    const errors: unknown[] = [];
    transport = new InProcessTransport({ batchSize: 10, retryDelayMs: 5, onHandlerError: (error) => errors.push(error) });
    const calls: number[][] = [];
    let failed = false;
    await transport.start(async (batch) => {
      calls.push(numbers(batch));
      if (!failed) {
        failed = true;
        throw new Error('store unavailable');
      }
    });
    // when
    await transport.send([1, 2, 3].map((n) => message(n)));
    await waitFor(() => transport.pending === 0, 2000, 'the queue to drain');
    // then
    expect(calls).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(errors).toEqual([new Error('store unavailable')]);
  });

  it('keeps later messages behind the failed batch', async () => {
    transport = new InProcessTransport({ batchSize: 2, retryDelayMs: 5 });
    const handled: number[] = [];
    let attempts = 0;
    await transport.start(async (batch) => {
      if (attempts++ < 3) throw new Error('transient');
      handled.push(...numbers(batch));
    });
    await transport.send([1, 2, 3, 4, 5].map((n) => message(n)));
    await waitFor(() => handled.length === 5, 2000, 'all five messages');
    expect(handled).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('stop() while a batch is running', () => {
  it('waits for the batch to finish and hands over nothing after it', async () => {
    // given
    transport = new InProcessTransport({ batchSize: 1 });
    const handled: number[] = [];
    let release: () => void = () => undefined;
    const started = new Promise<void>((resolveStarted) => {
      void transport.start(async (batch) => {
        resolveStarted();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        handled.push(...numbers(batch));
      });
    });
    await transport.send([message(1), message(2)]);
    await started;
    // when
    let released = false;
    let releasedWhenStopped: boolean | undefined;
    const stopping = transport.stop().then(() => {
      releasedWhenStopped = released;
    });
    await new Promise((resolve) => setImmediate(resolve));
    released = true;
    release();
    await stopping;
    // then: stop() resolved only after the running batch was let go
    expect(releasedWhenStopped).toBe(true);
    expect(handled).toEqual([1]);
    expect(transport.pending).toBe(1);
  });

  it('resolves at once when nothing is running', async () => {
    transport = new InProcessTransport();
    await transport.start(async () => undefined);
    await expect(transport.stop()).resolves.toBeUndefined();
  });
});

describe('outcomes and dead letters', () => {
  it('reach every outcome listener until it unsubscribes', async () => {
    transport = new InProcessTransport();
    const seen: string[] = [];
    const unsubscribe = transport.onOutcome((o) => seen.push(o.event.causationId));
    await transport.publish([outcome('m-1'), outcome('m-2')]);
    unsubscribe();
    await transport.publish([outcome('m-3')]);
    expect(seen).toEqual(['m-1', 'm-2']);
  });

  it('keeps dead letters with their reason', async () => {
    transport = new InProcessTransport();
    const record = { reason: 'not JSON', message: { key: undefined, value: 'x', headers: {}, origin: { transport: 'test' } } };
    await transport.deadLetter([record]);
    expect(transport.deadLetters).toEqual([record]);
  });
});

describe('an OutcomeWaiter expecting a message id', () => {
  let waiter: OutcomeWaiter;
  afterEach(() => waiter.close());

  it('resolves with the outcome whose causationId matches, ignoring others', async () => {
    // given
    transport = new InProcessTransport();
    waiter = new OutcomeWaiter(transport);
    const waiting = waiter.expect('m-2', 2000);
    // when
    await transport.publish([outcome('m-1'), outcome('m-2')]);
    // then
    await expect(waiting).resolves.toEqual(outcome('m-2'));
  });

  it('rejects with OutcomeTimeoutError when no outcome arrives in time', async () => {
    transport = new InProcessTransport();
    waiter = new OutcomeWaiter(transport);
    const started = Date.now();
    const waiting = waiter.expect('m-lost', 30);
    await transport.publish([outcome('m-other')]);
    await expect(waiting).rejects.toThrow(OutcomeTimeoutError);
    await expect(waiting).rejects.toMatchObject({ messageId: 'm-lost', timeoutMs: 30, message: 'no outcome for message m-lost within 30 ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('no longer listens once closed', async () => {
    transport = new InProcessTransport();
    waiter = new OutcomeWaiter(transport);
    const waiting = waiter.expect('m-1', 30);
    waiter.close();
    await transport.publish([outcome('m-1')]);
    await expect(waiting).rejects.toThrow(OutcomeTimeoutError);
  });
});

describe('a handler that names the messages to retry (BatchRetryError)', () => {
  it('holds back only their key: the other keys go on meanwhile, and the held key keeps its order', async () => {
    transport = new InProcessTransport({ batchSize: 10, retryDelayMs: 5 });
    const handled: number[] = [];
    let storeBack = false;
    let attempts = 0;
    await transport.start(async (batch) => {
      const stuck = batch.filter((m) => m.key === 'stuck');
      if (stuck.length > 0 && !storeBack) {
        attempts += 1;
        handled.push(...numbers(batch.filter((m) => m.key !== 'stuck')));
        throw new BatchRetryError(stuck, new Error('store unavailable'));
      }
      handled.push(...numbers(batch));
    });

    await transport.send([message(1, 'stuck'), message(2, 'ok'), message(3, 'stuck')]);
    await waitFor(() => attempts >= 1, 5000, 'the first failure');
    await transport.send([message(4, 'ok'), message(5, 'stuck'), message(6, 'ok')]);
    await waitFor(() => handled.includes(6) && attempts >= 2, 5000, 'the other key while the first is held');
    expect(handled).toEqual([2, 4, 6]);
    expect(transport.pending).toBe(3);

    storeBack = true;
    await waitFor(() => handled.length === 6, 5000, 'the held key once it succeeds');
    expect(handled.slice(3)).toEqual([1, 3, 5]);
    expect(transport.pending).toBe(0);
  });
});
