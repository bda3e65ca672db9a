import fc from 'fast-check';
import { createAllocator, type IndexAllocator, isFull, isUsed, markUsed, MAX_IF_INDEX, NET_IFINDEX_UNSPECIFIED, peekNext, release } from './allocator';

/** Hands out the next index as `evolve` does: peek, then mark it used. */
function allocate(a: IndexAllocator): number | undefined {
  const next = peekNext(a);
  if (next !== undefined) markUsed(a, next);
  return next;
}

function allocateAll(a: IndexAllocator, count: number): number[] {
  return Array.from({ length: count }, () => allocate(a) ?? NET_IFINDEX_UNSPECIFIED);
}

const snapshot = (a: IndexAllocator) => ({ max: a.max, live: a.live, last: a.last, used: [...a.used].sort((x, y) => x - y) });

describe('a new allocator', () => {
  it('has the NDIS maximum 65535 by default', () => {
    expect(createAllocator().max).toBe(MAX_IF_INDEX);
    expect(MAX_IF_INDEX).toBe(65535);
  });

  it('hands out 1 first, never 0 (NET_IFINDEX_UNSPECIFIED)', () => {
    expect(peekNext(createAllocator())).toBe(1);
    expect(isUsed(createAllocator(), NET_IFINDEX_UNSPECIFIED)).toBe(false);
  });

  it.each([0, -1, 1.5, MAX_IF_INDEX + 1, Number.NaN])('cannot be created with maximum %p', (max) => {
    expect(() => createAllocator(max)).toThrow(RangeError);
  });
});

describe('a default allocator filled through all 65,535 indexes', () => {
  it('hands them out as 1..65535 in order, then nothing', () => {
    const a = createAllocator();
    const handedOut = allocateAll(a, MAX_IF_INDEX);
    expect(handedOut).toEqual(Array.from({ length: MAX_IF_INDEX }, (_, i) => i + 1));
    expect(a.live).toBe(MAX_IF_INDEX);
    expect(isFull(a)).toBe(true);
    expect(peekNext(a)).toBeUndefined();
  });

  it('hands out exactly the one index released, whichever it is', () => {
    const a = createAllocator();
    allocateAll(a, MAX_IF_INDEX);
    release(a, 40000);
    expect(isFull(a)).toBe(false);
    expect(allocate(a)).toBe(40000);
    expect(peekNext(a)).toBeUndefined();
  });
});

describe('an allocator that handed out 1..5 of 10 and got 3 back', () => {
  it('hands out 6 next, not the freed 3', () => {
    const a = createAllocator(10);
    allocateAll(a, 5);
    release(a, 3);
    expect(allocateAll(a, 5)).toEqual([6, 7, 8, 9, 10]);
  });

  it('reaches 3 again only after wrapping past the maximum', () => {
    const a = createAllocator(10);
    allocateAll(a, 5);
    release(a, 3);
    allocateAll(a, 5);
    expect(allocate(a)).toBe(3);
    expect(allocate(a)).toBeUndefined();
  });
});

describe('a full allocator of 5 that gets 4 and then 1 back', () => {
  it('hands out 1 then 4: the next free one after the last handed out, wrapping', () => {
    const a = createAllocator(5);
    allocateAll(a, 5);
    release(a, 4);
    release(a, 1);
    expect(allocateAll(a, 3)).toEqual([1, 4, 0]);
  });
});

describe('peekNext', () => {
  it('changes nothing, however often it is called', () => {
    const a = createAllocator(4);
    allocateAll(a, 2);
    const before = snapshot(a);
    expect([peekNext(a), peekNext(a)]).toEqual([3, 3]);
    expect(snapshot(a)).toEqual(before);
  });
});

describe('marking or releasing an index that is not in play', () => {
  it.each([
    ['marks an index already used', (a: IndexAllocator) => markUsed(a, 2)],
    ['marks 0', (a: IndexAllocator) => markUsed(a, 0)],
    ['marks an index above the maximum', (a: IndexAllocator) => markUsed(a, 11)],
    ['releases a free index', (a: IndexAllocator) => release(a, 7)],
    ['releases 0', (a: IndexAllocator) => release(a, 0)],
    ['releases an index above the maximum', (a: IndexAllocator) => release(a, 11)],
  ])('changes nothing when it %s', (_, act) => {
    const a = createAllocator(10);
    allocateAll(a, 3);
    const before = snapshot(a);
    act(a);
    expect(snapshot(a)).toEqual(before);
  });
});

/** What the documented policy says comes next: the first free index after `last`, wrapping past max to 1. */
function modelNext(max: number, live: ReadonlySet<number>, last: number): number | undefined {
  for (let step = 1; step <= max; step++) {
    const candidate = ((last + step - 1) % max) + 1;
    if (!live.has(candidate)) return candidate;
  }
  return undefined;
}

type Op =
  | { readonly kind: 'allocate' }
  | { readonly kind: 'releaseLive'; readonly pick: number }
  | { readonly kind: 'releaseLast' }
  | { readonly kind: 'releaseAny'; readonly index: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'allocate' } as const) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'releaseLive', pick }) as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'releaseLast' } as const) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 302 }).map((index) => ({ kind: 'releaseAny', index }) as const) },
);

// Small maxima half of the time and long sequences (size 'max'), so most runs fill the space, wrap and free again.
const scenarioArb = fc.record({
  max: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 300 })),
  ops: fc.array(opArb, { maxLength: 600, size: 'max' }),
});

/**
 * Runs random allocate/release sequences against a plain Set model, calling `check` after
 * every step with the allocator, the live set and what happened.
 */
function runScenario(
  { max, ops }: { max: number; ops: readonly Op[] },
  check: (step: {
    a: IndexAllocator;
    live: Set<number>;
    op: Op;
    released: number | undefined;
    handedOut: number | undefined;
    /** The last index handed out before this step, by the model's own count (0 before the first). */
    lastBefore: number;
    lastAfter: number;
    liveCountBefore: number;
  }) => void,
): void {
  const a = createAllocator(max);
  const live = new Set<number>();
  let last = 0;
  for (const op of ops) {
    const lastBefore = last;
    const liveCountBefore = live.size;
    let released: number | undefined;
    let handedOut: number | undefined;
    switch (op.kind) {
      case 'allocate':
        handedOut = allocate(a);
        if (handedOut !== undefined) {
          live.add(handedOut);
          last = handedOut;
        }
        break;
      case 'releaseLive': {
        const sorted = [...live].sort((x, y) => x - y);
        released = sorted.length === 0 ? undefined : sorted[op.pick % sorted.length];
        break;
      }
      case 'releaseLast':
        released = live.has(last) ? last : undefined;
        break;
      case 'releaseAny':
        released = op.index;
        break;
    }
    if (released !== undefined) {
      release(a, released);
      live.delete(released);
    }
    check({ a, live, op, released, handedOut, lastBefore, lastAfter: last, liveCountBefore });
  }
}

/** A cheap check for hot loops: jest's expect costs too much at thousands of steps per run. */
function holds(condition: boolean, what: () => string): void {
  if (!condition) throw new Error(what());
}

describe('an allocator under any sequence of allocations and releases (max 1..300)', () => {
  it('never hands out 0, an index above max, or an index that is live', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        runScenario(scenario, ({ a, live, op, handedOut, liveCountBefore }) => {
          if (op.kind !== 'allocate' || handedOut === undefined) return;
          holds(handedOut >= 1 && handedOut <= a.max, () => `handed out ${handedOut} outside 1..${a.max}`);
          // The model added it to `live`: it was live before only if the live count did not grow.
          holds(live.size === liveCountBefore + 1, () => `handed out ${handedOut}, which was already live`);
        });
      }),
    );
  });

  it('keeps its live count and used marks equal to the live set', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        runScenario(scenario, ({ a, live }) => {
          holds(a.live === live.size, () => `live count ${a.live}, live set ${live.size}`);
          holds(!isUsed(a, NET_IFINDEX_UNSPECIFIED), () => 'index 0 marked used');
          for (let i = 1; i <= a.max; i++) holds(isUsed(a, i) === live.has(i), () => `index ${i}: used mark disagrees with the live set`);
        });
      }),
    );
  });

  it('is exhausted (peekNext undefined, isFull) exactly when every index 1..max is live', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        runScenario(scenario, ({ a, live, op, handedOut, liveCountBefore }) => {
          const full = live.size === a.max;
          holds(isFull(a) === full, () => `isFull ${isFull(a)} with ${live.size} of ${a.max} live`);
          holds((peekNext(a) === undefined) === full, () => `peekNext ${peekNext(a)} with ${live.size} of ${a.max} live`);
          if (op.kind === 'allocate') {
            holds((handedOut === undefined) === (liveCountBefore === a.max), () => `allocation gave ${handedOut} with ${liveCountBefore} of ${a.max} live`);
          }
        });
      }),
    );
  });

  it('hands out the first free index after the last one handed out, wrapping past max to 1', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        runScenario(scenario, ({ a, live, op, handedOut, lastBefore, lastAfter }) => {
          if (op.kind === 'allocate' && handedOut !== undefined) {
            live.delete(handedOut);
            const expected = modelNext(a.max, live, lastBefore);
            live.add(handedOut);
            holds(handedOut === expected, () => `handed out ${handedOut} after ${lastBefore}, policy says ${expected}`);
          }
          const next = peekNext(a);
          const expected = modelNext(a.max, live, lastAfter);
          holds(next === expected, () => `peekNext ${next} after ${lastAfter}, policy says ${expected}`);
        });
      }),
    );
  });

  it('does not hand the index it just released out again unless it is the only free one', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        runScenario(scenario, ({ a, live, op, released }) => {
          if (op.kind !== 'releaseLast' || released === undefined) return;
          const only = a.max - live.size === 1;
          holds((peekNext(a) === released) === only, () => `released ${released}, peekNext ${peekNext(a)}, ${a.max - live.size} free`);
        });
      }),
    );
  });
});
