/**
 * Interface-index allocator of one scope and epoch. Policy (like Linux ifindex): hand out
 * the next index after the last one handed out, wrapping past `max` to 1 and skipping
 * used ones, so a freed index is not reused at once. 0 (NET_IFINDEX_UNSPECIFIED) is never
 * handed out. Exhaustion is known in O(1) from the live count; a search is amortised O(1)
 * while the space is not nearly full.
 *
 * Mutable on purpose: copying it per event would make a replay quadratic. Only `evolve` (and
 * the projection) changes it. The used indexes are a set, so a scope costs memory by its
 * live interfaces, not by its index space (a 64 KiB slot array per scope made a registrar of
 * 100,000 small scopes hold gigabytes).
 */
export interface IndexAllocator {
  readonly max: number;
  readonly used: Set<number>;
  live: number;
  last: number;
}

export const NET_IFINDEX_UNSPECIFIED = 0;
export const MAX_IF_INDEX = 0xffff;

export function createAllocator(max: number = MAX_IF_INDEX): IndexAllocator {
  if (!Number.isInteger(max) || max < 1 || max > MAX_IF_INDEX) {
    throw new RangeError(`max interface index must be 1..${MAX_IF_INDEX}, got ${max}`);
  }
  return { max, used: new Set(), live: 0, last: 0 };
}

export const isFull = (a: IndexAllocator): boolean => a.live >= a.max;

/** The index the next registration gets, or undefined when the space is full. Pure. */
export function peekNext(a: IndexAllocator): number | undefined {
  if (isFull(a)) return undefined;
  let candidate = a.last;
  for (let step = 0; step < a.max; step++) {
    candidate = candidate >= a.max ? 1 : candidate + 1;
    if (!a.used.has(candidate)) return candidate;
  }
  return undefined;
}

export function markUsed(a: IndexAllocator, ifIndex: number): void {
  if (ifIndex < 1 || ifIndex > a.max || a.used.has(ifIndex)) return;
  a.used.add(ifIndex);
  a.live++;
  a.last = ifIndex;
}

export function release(a: IndexAllocator, ifIndex: number): void {
  if (ifIndex < 1 || ifIndex > a.max || !a.used.has(ifIndex)) return;
  a.used.delete(ifIndex);
  a.live--;
}

export const isUsed = (a: IndexAllocator, ifIndex: number): boolean => a.used.has(ifIndex);
