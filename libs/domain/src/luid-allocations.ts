import { MAX_NET_LUID_INDEX } from './luid';

/**
 * NetLuidIndexes allocated per ifType in one scope. They survive BootEpochs and end only
 * when freed (NdisIfAllocateNetLuidIndex / NdisIfFreeNetLuidIndex). Policy: the next index
 * after the last one handed out for that type, wrapping, skipping held ones; 0 is left to
 * conventions such as loopback_0 and never handed out. Only held indexes take memory.
 */
export interface LuidAllocations {
  readonly max: number;
  /** ifType → (netLuidIndex → providerId). */
  readonly held: Map<number, Map<number, string>>;
  /** ifType → last index handed out. */
  readonly last: Map<number, number>;
}

export function createLuidAllocations(max: number = MAX_NET_LUID_INDEX): LuidAllocations {
  if (!Number.isInteger(max) || max < 1 || max > MAX_NET_LUID_INDEX) {
    throw new RangeError(`max NetLuidIndex must be 1..${MAX_NET_LUID_INDEX}, got ${max}`);
  }
  return { max, held: new Map(), last: new Map() };
}

/** The index the next request for `ifType` gets, or undefined when none is free. Pure. */
export function peekLuidIndex(a: LuidAllocations, ifType: number): number | undefined {
  const held = a.held.get(ifType);
  if ((held?.size ?? 0) >= a.max) return undefined;
  let candidate = a.last.get(ifType) ?? 0;
  for (let step = 0; step < a.max; step++) {
    candidate = candidate >= a.max ? 1 : candidate + 1;
    if (!held?.has(candidate)) return candidate;
  }
  return undefined;
}

export const holderOf = (a: LuidAllocations, ifType: number, index: number): string | undefined => a.held.get(ifType)?.get(index);

export function holdLuidIndex(a: LuidAllocations, ifType: number, index: number, providerId: string): void {
  let held = a.held.get(ifType);
  if (!held) {
    held = new Map();
    a.held.set(ifType, held);
  }
  held.set(index, providerId);
  a.last.set(ifType, index);
}

export function freeLuidIndex(a: LuidAllocations, ifType: number, index: number): void {
  a.held.get(ifType)?.delete(index);
}
