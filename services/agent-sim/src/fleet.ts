import type { NetIfInformationInput, NetLuid } from '@ifreg/domain';
import { seededRandom } from '@ifreg/platform';

/** One simulated interface: what its provider sends every time it (re-)detects it. */
export interface SimInterface {
  readonly scope: string;
  readonly providerId: string;
  readonly luid: NetLuid;
  readonly providerIfContext: string;
  readonly info: NetIfInformationInput;
}

export interface FleetShape {
  readonly seed: number;
  readonly scopes: number;
  /** Providers per scope. */
  readonly providers: number;
  /** Interfaces per provider. */
  readonly interfaces: number;
  readonly scopePrefix: string;
}

/** NetLuidIndexes start here, as the NDIS samples' do (ethernet_32768). */
export const FIRST_NET_LUID_INDEX = 0x8000;
/** Every interface of a scope needs its own NetLuidIndex below 2^24. */
export const MAX_INTERFACES_PER_SCOPE = 0xffffff - FIRST_NET_LUID_INDEX + 1;

/** IANA ifType with NDIS_MEDIUM / NDIS_PHYSICAL_MEDIUM values that go with it. */
const KINDS = [
  { ifType: 6, name: 'eth', accessType: 'broadcast', mediaType: 0, physicalMediumType: 14, mac: true, hardware: true },
  { ifType: 71, name: 'wlan', accessType: 'broadcast', mediaType: 16, physicalMediumType: 9, mac: true, hardware: true },
  { ifType: 131, name: 'tun', accessType: 'pointToPoint', mediaType: 19, physicalMediumType: 0, mac: false, hardware: false },
] as const;

export const scopeName = (shape: Pick<FleetShape, 'scopes' | 'scopePrefix'>, scopeIndex: number): string =>
  `${shape.scopePrefix}-${String(scopeIndex).padStart(String(Math.max(shape.scopes - 1, 0)).length, '0')}`;

export const providerName = (provider: number): string => `sim-provider-${provider}`;

/**
 * Interface `ordinal` (0 ≤ ordinal < providers × interfaces) of a scope. Derived from the
 * seed and its own coordinates alone, so it is the same whenever it is asked for: a
 * provider re-detects an interface with the same LUID and information, as NDIS requires.
 * Ordinals interleave providers: 0 is provider 0's first, 1 provider 1's first, …
 */
export function simInterface(shape: FleetShape, scopeIndex: number, ordinal: number): SimInterface {
  const provider = ordinal % shape.providers;
  const slot = Math.floor(ordinal / shape.providers);
  const random = seededRandom(mix(shape.seed, scopeIndex, ordinal));
  const kind = random.pick(KINDS);
  // Disjoint per provider, so no two interfaces of a scope share a LUID whatever their ifType.
  const netLuidIndex = FIRST_NET_LUID_INDEX + provider * shape.interfaces + slot;
  const mac = kind.mac ? `02:${random.hex(5).replace(/(..)(?!$)/g, '$1:')}` : '';
  const guid = random.hex(16).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  return {
    scope: scopeName(shape, scopeIndex),
    providerId: providerName(provider),
    luid: { ifType: kind.ifType, netLuidIndex },
    providerIfContext: `p${provider}/if${slot}`,
    info: {
      friendlyName: `${kind.name}${slot}-p${provider}`,
      ...(mac ? { physAddress: mac } : {}),
      accessType: kind.accessType,
      mediaType: kind.mediaType,
      physicalMediumType: kind.physicalMediumType,
      connectorPresent: kind.hardware,
      flags: kind.hardware ? 1 : 0,
      interfaceGuid: guid,
    },
  };
}

/** A 32-bit seed from the run seed and coordinates (murmur3's finaliser over a running hash). */
function mix(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const value of values) {
    h = Math.imul(h ^ (value >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ Math.floor(value / 0x1_0000_0000), 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}
