import { backoffDelay, retry } from './retry';

class Transient extends Error {}

describe('retry', () => {
  it('tries again after the errors the predicate names, with the delays of the policy, and answers the result', async () => {
    const delays: number[] = [];
    const told: number[] = [];
    let calls = 0;
    const result = await retry(
      async (failures) => {
        calls++;
        if (failures < 2) throw new Transient(`try ${failures}`);
        return 'done';
      },
      { retries: 5, retryIf: (e) => e instanceof Transient, delayMs: (f) => (delays.push(f), 0), onRetry: (_, f) => told.push(f) },
    );
    expect({ result, calls, delays, told }).toEqual({ result: 'done', calls: 3, delays: [0, 1], told: [0, 1] });
  });

  it('lets any other error through at once', async () => {
    let calls = 0;
    const attempt = async (): Promise<never> => {
      calls++;
      throw new TypeError('lasting');
    };
    await expect(retry(attempt, { retries: 5, retryIf: (e) => e instanceof Transient, delayMs: () => 0 })).rejects.toThrow('lasting');
    expect(calls).toBe(1);
  });

  it('lets the last error through after the retries', async () => {
    let calls = 0;
    const attempt = async (): Promise<never> => {
      throw new Transient(`try ${calls++}`);
    };
    await expect(retry(attempt, { retries: 2, retryIf: () => true, delayMs: () => 0 })).rejects.toThrow('try 2');
  });

  it('answers undefined, trying no more, once stopped', async () => {
    const stop = new AbortController();
    let calls = 0;
    const attempt = async (): Promise<never> => {
      calls++;
      stop.abort();
      throw new Transient('down');
    };
    await expect(retry(attempt, { retries: 5, retryIf: () => true, delayMs: () => 60_000, stop: stop.signal })).resolves.toBeUndefined();
    expect(calls).toBe(1);
  });
});

describe('backoffDelay', () => {
  it('doubles from the minimum after each failure, up to the maximum', () => {
    expect([0, 1, 2, 3, 10].map((f) => backoffDelay(f, { minMs: 100, maxMs: 5000 }))).toEqual([100, 200, 400, 800, 5000]);
  });
});
