/**
 * A seeded pseudo-random source (sfc32, seeded through splitmix32): the same seed gives the
 * same simulation or fault schedule, step for step. Not for anything secret.
 */
export interface Random {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T;
  /** `count` random bytes as lower-case hex. */
  hex(count: number): string;
}

export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // A few rounds first, as sfc32's authors advise, so close seeds diverge at once.
  for (let i = 0; i < 12; i++) next32();
  const random: Random = {
    seed,
    next: () => next32() / 0x1_0000_0000,
    int: (min, max) => min + Math.floor(random.next() * (max - min + 1)),
    pick: <T>(list: readonly T[]): T => {
      if (list.length === 0) throw new RangeError('pick from an empty list');
      return list[random.int(0, list.length - 1)] as T;
    },
    hex: (count) => Array.from({ length: count }, () => (next32() & 0xff).toString(16).padStart(2, '0')).join(''),
  };
  return random;
}
