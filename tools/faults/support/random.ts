import { randomInt } from 'node:crypto';

/** A seeded PRNG (mulberry32): the same seed replays the same fault schedule and workload. */
export interface Random {
  readonly seed: number;
  /** [0, 1) */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as never;
    },
  };
}

/**
 * The seed of a scenario: FAULTS_SEED when set (to replay a run), else a random one, so
 * that runs explore different kill points and workloads. Printed, so every run can be replayed.
 */
export function scenarioSeed(scenario: string): Random {
  const given = process.env['FAULTS_SEED'];
  const seed = given !== undefined && given !== '' ? Number(given) >>> 0 : randomInt(0x7fffffff);
  figure(scenario, `seed ${seed} (replay with FAULTS_SEED=${seed})`);
  return seededRandom(seed);
}

/** A line of a scenario's figures on stderr, prefixed `[faults]` like the rest of the suite. */
export function figure(scenario: string, text: string): void {
  process.stderr.write(`[faults] ${scenario}: ${text}\n`);
}
