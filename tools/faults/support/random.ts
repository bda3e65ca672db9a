import { randomInt } from 'node:crypto';
import { seededRandom, type Random } from '@ifreg/platform';

export type { Random };

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
