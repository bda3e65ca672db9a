import { Pacer, type Clock } from './pacer';

/** A clock that moves only when the pacer sleeps. */
function fakeClock(): Clock & { readonly slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

async function grantedWithin(pacer: Pacer, clock: Clock, ms: number, wanted: number): Promise<number> {
  let granted = 0;
  while (clock.now() < ms) granted += await pacer.take(wanted);
  return granted;
}

describe('a pacer at 1,000 messages per second', () => {
  it('grants about 1,000 in a second, in batches of at most 50 ms worth', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(1_000, 500, clock);
    const batches: number[] = [];
    while (clock.now() < 1_000) batches.push(await pacer.take(500));
    const total = batches.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(1_000);
    expect(total).toBeLessThanOrEqual(1_060);
    expect(Math.max(...batches)).toBeLessThanOrEqual(50);
  });

  it('never grants more than asked', async () => {
    const pacer = new Pacer(1_000, 500, fakeClock());
    await expect(pacer.take(3)).resolves.toBe(3);
    await expect(pacer.take(0)).resolves.toBe(0);
  });
});

describe('a pacer at 3 messages per second', () => {
  it('grants one at a time, a third of a second apart', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(3, 500, clock);
    expect(await grantedWithin(pacer, clock, 3_000, 10)).toBeGreaterThanOrEqual(9);
    expect(await grantedWithin(pacer, clock, 6_000, 10)).toBeLessThanOrEqual(10);
    expect(clock.slept.every((ms) => ms <= 334)).toBe(true);
  });
});

describe('a pacer at rate 0', () => {
  it('grants everything asked, up to the burst bound, without sleeping', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(0, 500, clock);
    await expect(pacer.take(10_000)).resolves.toBe(500);
    await expect(pacer.take(7)).resolves.toBe(7);
    expect(clock.slept).toEqual([]);
  });
});
