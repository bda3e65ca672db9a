import { Cleanup } from './cleanup';
import { waitFor, waitForValue } from './wait';

describe('waitFor', () => {
  it('resolves once the predicate holds', async () => {
    let n = 0;
    await waitFor(() => ++n >= 3, 5_000, 'three looks', 1);
    expect(n).toBe(3);
  });

  it('fails after the timeout, saying what it waited for', async () => {
    await expect(waitFor(() => false, 20, () => 'a thing that never comes', 5)).rejects.toThrow('timed out after 20 ms waiting for a thing that never comes');
  });
});

describe('waitForValue', () => {
  it('answers the first value that satisfies the predicate, and the last one seen when none does', async () => {
    let n = 0;
    await expect(waitForValue(() => ++n, (v) => v === 2, 5_000, 'two', 1)).resolves.toBe(2);
    await expect(waitForValue(() => 7, (v) => v === 8, 20, 'eight', 5)).rejects.toThrow(/waiting for eight; last seen: 7/);
  });
});

describe('Cleanup', () => {
  it('runs every step in reverse order, even after a failing one, and rethrows the first failure', async () => {
    const cleanup = new Cleanup();
    const ran: string[] = [];
    cleanup.add('a', (thing) => void ran.push(thing));
    cleanup.defer(() => {
      throw new Error('b broke');
    }, 'b');
    cleanup.defer(() => void ran.push('c'));
    await expect(cleanup.run()).rejects.toThrow('cleanup of b failed: b broke');
    expect(ran).toEqual(['c', 'a']);
  });
});
