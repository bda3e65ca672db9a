import { type Checked, ok, refuse } from './result';

/** NET_LUID: bits 0-23 reserved (zero), 24-47 NetLuidIndex, 48-63 IANA IfType. */
export interface NetLuid {
  readonly ifType: number;
  readonly netLuidIndex: number;
}

export const MAX_IF_TYPE = 0xffff;
export const MAX_NET_LUID_INDEX = 0xffffff;

const RESERVED_MASK = 0xffffffn;
const INDEX_SHIFT = 24n;
const TYPE_SHIFT = 48n;

/** Windows-style interface name prefixes (ConvertInterfaceLuidToName). */
const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'other'],
  [6, 'ethernet'],
  [23, 'ppp'],
  [24, 'loopback'],
  [37, 'atm'],
  [71, 'wireless'],
  [131, 'tunnel'],
  [144, 'ieee1394'],
  [243, 'wwanpp'],
  [244, 'wwanpp2'],
]);
const NAME_TYPES: ReadonlyMap<string, number> = new Map([...TYPE_NAMES].map(([t, n]) => [n, t]));

export function checkLuid(ifType: number, netLuidIndex: number): Checked<NetLuid> {
  if (!Number.isInteger(ifType) || ifType < 0 || ifType > MAX_IF_TYPE) {
    return refuse(`luid.ifType must be an integer 0..${MAX_IF_TYPE}, got ${ifType}`);
  }
  if (!Number.isInteger(netLuidIndex) || netLuidIndex < 0 || netLuidIndex > MAX_NET_LUID_INDEX) {
    return refuse(`luid.netLuidIndex must be an integer 0..${MAX_NET_LUID_INDEX} (24 bits), got ${netLuidIndex}`);
  }
  return ok({ ifType, netLuidIndex });
}

export function luidValue(luid: NetLuid): bigint {
  return (BigInt(luid.ifType) << TYPE_SHIFT) | (BigInt(luid.netLuidIndex) << INDEX_SHIFT);
}

export function luidFromValue(value: bigint): Checked<NetLuid> {
  if (value < 0n || value > 0xffffffffffffffffn) return refuse(`NET_LUID value must fit in 64 bits`);
  if ((value & RESERVED_MASK) !== 0n) return refuse(`NET_LUID reserved bits 0-23 must be zero`);
  return ok({ ifType: Number(value >> TYPE_SHIFT), netLuidIndex: Number((value >> INDEX_SHIFT) & 0xffffffn) });
}

/** `0x` + 16 hex digits: a stable key and the `value` of the external contract. */
export function luidHex(luid: NetLuid): string {
  // String arithmetic: this runs for every event folded, and BigInt is slow on that path.
  return `0x${luid.ifType.toString(16).padStart(4, '0')}${luid.netLuidIndex.toString(16).padStart(6, '0')}000000`;
}

/** RFC 2863 ifName in the Windows form, e.g. `ethernet_32768`, `iftype53_2`. */
export function luidName(luid: NetLuid): string {
  return `${TYPE_NAMES.get(luid.ifType) ?? `iftype${luid.ifType}`}_${luid.netLuidIndex}`;
}

/** A LUID as views show it: its fields, its hex value and its name (`value` when the caller has it already). */
export function luidView(luid: NetLuid, value = luidHex(luid)): NetLuid & { readonly value: string; readonly name: string } {
  return { ...luid, value, name: luidName(luid) };
}

const NAME_PATTERN = /^([a-z0-9]+?)_(\d{1,8})$/;
const HEX_PATTERN = /^0x[0-9a-fA-F]{1,16}$/;
const DEC_PATTERN = /^\d{1,20}$/;

/** Parses the readable forms: hex value, decimal value, or a name such as `loopback_0`. */
export function parseLuid(text: string): Checked<NetLuid> {
  if (HEX_PATTERN.test(text) || DEC_PATTERN.test(text)) return luidFromValue(BigInt(text));
  const match = NAME_PATTERN.exec(text);
  if (!match) return refuse(`'${text}' is neither a NET_LUID value (0x…) nor a name like ethernet_32768`);
  const [, prefix = '', index = ''] = match;
  const typed = /^iftype(\d{1,5})$/.exec(prefix);
  const ifType = typed ? Number(typed[1]) : NAME_TYPES.get(prefix);
  if (ifType === undefined) return refuse(`unknown interface type name '${prefix}' in '${text}'`);
  return checkLuid(ifType, Number(index));
}
