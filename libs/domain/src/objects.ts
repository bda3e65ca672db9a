import { type Checked, ok, refuse } from './result';

/**
 * Interface objects (DESIGN §2.10): the OIDs an NDIS interface provider answers through its
 * ProviderQueryObject / ProviderSetObject for the IF-MIB (RFC 2863), and the NDIS-style
 * statuses of its answers. Numeric values as in the WDK's ntddndis.h.
 */

/** NDIS_STATUS_* names an answer carries (ACCESS_DENIED is NTSTATUS's, which NDIS statuses are). */
export const OBJECT_STATUSES = [
  'SUCCESS',
  'FAILURE',
  'RESOURCES',
  'NOT_SUPPORTED',
  'NOT_ACCEPTED',
  'INVALID_PARAMETER',
  'INVALID_DATA',
  'INVALID_LENGTH',
  'INVALID_OID',
  'ACCESS_DENIED',
  'INTERFACE_NOT_FOUND',
  'REQUEST_ABORTED',
] as const;
export type ObjectStatus = (typeof OBJECT_STATUSES)[number];

/** How a value of the OID is written in JSON. */
export type OidKind =
  | 'boolean'
  | 'time'
  | 'operStatus'
  | 'adminStatus'
  | 'mediaConnectState'
  | 'duplexState'
  | 'bitsPerSecond'
  | 'linkSpeed'
  | 'counter'
  | 'alias'
  | 'statistics'
  | 'interfaceInfo';

export interface OidDefinition {
  readonly name: string;
  readonly value: number;
  readonly kind: OidKind;
  /** NDIS lets a caller set it. */
  readonly settable: boolean;
}

const def = (name: string, value: number, kind: OidKind, settable = false): OidDefinition => ({ name, value, kind, settable });

/** The OIDs ifreg knows by name; any other 32-bit value may still be asked by number. */
export const OIDS: readonly OidDefinition[] = [
  def('OID_GEN_LINK_SPEED', 0x00010107, 'bitsPerSecond'),
  def('OID_GEN_MEDIA_CONNECT_STATUS', 0x00010114, 'mediaConnectState'),
  def('OID_GEN_PROMISCUOUS_MODE', 0x00010280, 'boolean'),
  def('OID_GEN_LAST_CHANGE', 0x00010281, 'time'),
  def('OID_GEN_DISCONTINUITY_TIME', 0x00010282, 'time'),
  def('OID_GEN_OPERATIONAL_STATUS', 0x00010283, 'operStatus'),
  def('OID_GEN_XMIT_LINK_SPEED', 0x00010284, 'bitsPerSecond'),
  def('OID_GEN_RCV_LINK_SPEED', 0x00010285, 'bitsPerSecond'),
  def('OID_GEN_UNKNOWN_PROTOS', 0x00010286, 'counter'),
  def('OID_GEN_INTERFACE_INFO', 0x00010287, 'interfaceInfo'),
  def('OID_GEN_ADMIN_STATUS', 0x00010288, 'adminStatus', true),
  def('OID_GEN_ALIAS', 0x00010289, 'alias', true),
  def('OID_GEN_MEDIA_CONNECT_STATUS_EX', 0x0001028a, 'mediaConnectState'),
  def('OID_GEN_LINK_SPEED_EX', 0x0001028b, 'linkSpeed'),
  def('OID_GEN_MEDIA_DUPLEX_STATE', 0x0001028c, 'duplexState'),
  def('OID_GEN_XMIT_OK', 0x00020101, 'counter'),
  def('OID_GEN_RCV_OK', 0x00020102, 'counter'),
  def('OID_GEN_XMIT_ERROR', 0x00020103, 'counter'),
  def('OID_GEN_RCV_ERROR', 0x00020104, 'counter'),
  def('OID_GEN_RCV_NO_BUFFER', 0x00020105, 'counter'),
  def('OID_GEN_STATISTICS', 0x00020106, 'statistics'),
  def('OID_GEN_BYTES_RCV', 0x00020219, 'counter'),
  def('OID_GEN_BYTES_XMIT', 0x0002021a, 'counter'),
  def('OID_GEN_RCV_DISCARDS', 0x0002021b, 'counter'),
  def('OID_GEN_XMIT_DISCARDS', 0x0002021c, 'counter'),
];

const BY_NAME: ReadonlyMap<string, OidDefinition> = new Map(OIDS.map((d) => [d.name, d]));
const BY_VALUE: ReadonlyMap<number, OidDefinition> = new Map(OIDS.map((d) => [d.value, d]));

/** An OID as the request carries it: its 32-bit value, and its name when ifreg knows it. */
export interface Oid {
  readonly value: number;
  readonly name?: string;
}

export const oidHex = (value: number): string => `0x${value.toString(16).toUpperCase().padStart(8, '0')}`;
export const oidDefinition = (value: number): OidDefinition | undefined => BY_VALUE.get(value);
export const oidLabel = (oid: Oid): string => oid.name ?? oidHex(oid.value);

/** `OID_GEN_ALIAS`, `0x00010289` or `66185`: the OID, or why not. */
export function parseOid(text: string): Checked<Oid> {
  if (/^OID_[A-Z0-9_]{1,60}$/.test(text)) {
    const known = BY_NAME.get(text);
    return known ? ok({ value: known.value, name: known.name }) : refuse(`unknown OID name ${text}: give its numeric value (0x…) instead`);
  }
  const numeric = /^0x[0-9a-fA-F]{1,8}$/.test(text) || /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(numeric) || numeric < 1 || numeric > 0xffffffff) {
    return refuse(`'${text.slice(0, 64)}' is not an OID: an NDIS name such as OID_GEN_ALIAS, or a value 0x1..0xFFFFFFFF`);
  }
  const known = BY_VALUE.get(numeric);
  return ok(known ? { value: numeric, name: known.name } : { value: numeric });
}

export const ADMIN_STATUSES = ['up', 'down', 'testing'] as const;
export type AdminStatus = (typeof ADMIN_STATUSES)[number];
/** RFC 2863 ifOperStatus (NET_IF_OPER_STATUS) in camelCase. */
export const OPER_STATUSES = ['up', 'down', 'testing', 'unknown', 'dormant', 'notPresent', 'lowerLayerDown'] as const;
export const MEDIA_CONNECT_STATES = ['unknown', 'connected', 'disconnected'] as const;
export const DUPLEX_STATES = ['unknown', 'half', 'full'] as const;

/** NDIS_IF_MAX_STRING_SIZE: ifAlias holds at most 256 characters. */
export const MAX_ALIAS_LENGTH = 256;
/** The most bytes of JSON a set's value or an answer's value may take. */
export const MAX_OBJECT_VALUE_BYTES = 16 * 1024;

/**
 * The value a set asks for, in its canonical form, or why it cannot be set to it. An OID
 * ifreg does not know takes any JSON value (its provider judges it).
 */
export function checkSetValue(oid: Oid, value: unknown): Checked<unknown> {
  if (value === undefined) return refuse('value is required');
  const size = jsonSize(value);
  if (size === undefined) return refuse('value must be JSON');
  if (size > MAX_OBJECT_VALUE_BYTES) return refuse(`value is ${size} bytes of JSON, more than ${MAX_OBJECT_VALUE_BYTES}`);
  switch (oidDefinition(oid.value)?.kind) {
    case 'adminStatus': {
      // NET_IF_ADMIN_STATUS: up 1, down 2, testing 3.
      const named = typeof value === 'number' ? ADMIN_STATUSES[value - 1] : value;
      return typeof named === 'string' && (ADMIN_STATUSES as readonly string[]).includes(named)
        ? ok(named)
        : refuse(`value of ${oidLabel(oid)} must be one of ${ADMIN_STATUSES.join(', ')} (or 1, 2, 3), got ${JSON.stringify(value)?.slice(0, 64)}`);
    }
    case 'alias':
      if (typeof value !== 'string') return refuse(`value of ${oidLabel(oid)} must be a string, got ${typeof value}`);
      if (value.length > MAX_ALIAS_LENGTH) return refuse(`value of ${oidLabel(oid)} must be at most ${MAX_ALIAS_LENGTH} characters, got ${value.length}`);
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(value)) return refuse(`value of ${oidLabel(oid)} must not hold control characters`);
      return ok(value);
    default:
      return ok(value);
  }
}

/** Bytes of the value's JSON; undefined when it has none (a function, a cycle, a BigInt). */
export function jsonSize(value: unknown): number | undefined {
  try {
    const text = JSON.stringify(value);
    return typeof text === 'string' ? utf8Bytes(text) : undefined;
  } catch {
    return undefined;
  }
}

function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? 2 : 3;
  }
  return bytes;
}

/** The caller's id for one set: unique per scope; a retry sends it again. */
export const SET_REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;

/** The registrar messages recording one set: derived from its request id, so a retry is recorded once. */
export const objectSetMessageIds = (requestId: string): { readonly request: string; readonly answer: string } => ({
  request: `objset:${requestId}`,
  answer: `objset:${requestId}:answer`,
});
