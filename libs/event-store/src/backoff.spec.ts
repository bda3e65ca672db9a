import { backoffDelay, retryTransient } from './backoff';

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
