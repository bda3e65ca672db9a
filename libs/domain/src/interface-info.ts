import { type Checked, ok, refuse } from './result';

/** NET_IF_INFORMATION, the information that stays constant while an interface exists. */
export const ACCESS_TYPES = ['loopback', 'broadcast', 'pointToPoint', 'pointToMultipoint'] as const;
export const DIRECTION_TYPES = ['sendReceive', 'sendOnly', 'receiveOnly'] as const;
export const CONNECTION_TYPES = ['dedicated', 'passive', 'demand'] as const;
export type AccessType = (typeof ACCESS_TYPES)[number];
export type DirectionType = (typeof DIRECTION_TYPES)[number];
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

export const NIIF_HARDWARE_INTERFACE = 0x1;
export const NIIF_FILTER_INTERFACE = 0x2;
/** Bits other than these are reserved to NDIS. */
export const KNOWN_FLAGS = NIIF_HARDWARE_INTERFACE | NIIF_FILTER_INTERFACE;
export const UINT32_MAX = 0xffffffff;
/** "Unknown" in PhysicalLocation and WanTunnelType is all ones. */
export const UNKNOWN_U32 = UINT32_MAX;
/** NDIS_MEDIUM: 802.3 = 0 … IP = 19. */
export const MAX_MEDIA_TYPE = 19;
/** NDIS_PHYSICAL_MEDIUM: unspecified = 0 … native 802.15.4 = 20. */
export const MAX_PHYSICAL_MEDIUM = 20;
export const MAX_FRIENDLY_NAME = 256;
export const MAX_PHYS_ADDRESS_BYTES = 32;
export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

export interface PhysicalLocation {
  readonly busNumber: number;
  readonly slotNumber: number;
  readonly functionNumber: number;
}

export interface NetIfInformation {
  readonly flags: number;
  readonly physicalLocation: PhysicalLocation;
  readonly wanTunnelType: number;
  readonly portNumber: number;
  readonly accessType: AccessType;
  readonly directionType: DirectionType;
  readonly connectionType: ConnectionType;
  readonly connectorPresent: boolean;
  /** Colon-separated hex bytes, empty when the interface has none. */
  readonly physAddress: string;
  readonly permanentPhysAddress: string;
  readonly friendlyName: string;
  readonly interfaceGuid: string;
  readonly networkGuid: string;
  readonly supportedStatistics: number;
  readonly mediaType: number;
  readonly physicalMediumType: number;
}

/** What a provider may send: only the friendly name is required, the rest has NDIS defaults. */
export type NetIfInformationInput = Partial<Omit<NetIfInformation, 'physicalLocation'>> & {
  readonly friendlyName: string;
  readonly physicalLocation?: Partial<PhysicalLocation>;
};

/** Up to MAX_PHYS_ADDRESS_BYTES colon-separated hex bytes, or empty. The JSON Schemas use these patterns too. */
export const PHYS_ADDRESS_PATTERN = new RegExp(`^([0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){0,${MAX_PHYS_ADDRESS_BYTES - 1}})?$`);
export const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= UINT32_MAX;
const isIn = <T extends string>(list: readonly T[], v: string): v is T => (list as readonly string[]).includes(v);

/** Fills NDIS defaults and checks every limit; the reason names the offending field. */
export function completeInfo(input: NetIfInformationInput): Checked<NetIfInformation> {
  const physAddress = (input.physAddress ?? '').toLowerCase();
  const info: NetIfInformation = {
    flags: input.flags ?? 0,
    physicalLocation: {
      busNumber: input.physicalLocation?.busNumber ?? UNKNOWN_U32,
      slotNumber: input.physicalLocation?.slotNumber ?? UNKNOWN_U32,
      functionNumber: input.physicalLocation?.functionNumber ?? UNKNOWN_U32,
    },
    wanTunnelType: input.wanTunnelType ?? UNKNOWN_U32,
    portNumber: input.portNumber ?? 0,
    accessType: input.accessType ?? 'broadcast',
    directionType: input.directionType ?? 'sendReceive',
    connectionType: input.connectionType ?? 'dedicated',
    connectorPresent: input.connectorPresent ?? false,
    physAddress,
    permanentPhysAddress: (input.permanentPhysAddress ?? physAddress).toLowerCase(),
    friendlyName: input.friendlyName,
    interfaceGuid: (input.interfaceGuid ?? ZERO_GUID).toLowerCase(),
    networkGuid: (input.networkGuid ?? ZERO_GUID).toLowerCase(),
    supportedStatistics: input.supportedStatistics ?? 0,
    mediaType: input.mediaType ?? 0,
    physicalMediumType: input.physicalMediumType ?? 0,
  };
  const reason = firstProblem(info);
  return reason === undefined ? ok(info) : refuse(reason);
}

function firstProblem(info: NetIfInformation): string | undefined {
  if (!isU32(info.flags) || (info.flags & ~KNOWN_FLAGS) !== 0) {
    return `info.flags may only use NIIF_HARDWARE_INTERFACE (0x1) and NIIF_FILTER_INTERFACE (0x2), got ${info.flags}`;
  }
  for (const [key, value] of Object.entries(info.physicalLocation) as [string, number][]) {
    if (!isU32(value)) return `info.physicalLocation.${key} must be a 32-bit unsigned integer, got ${value}`;
  }
  for (const key of ['wanTunnelType', 'portNumber', 'supportedStatistics'] as const) {
    if (!isU32(info[key])) return `info.${key} must be a 32-bit unsigned integer, got ${info[key]}`;
  }
  if (!isIn(ACCESS_TYPES, info.accessType)) return `info.accessType must be one of ${ACCESS_TYPES.join(', ')}`;
  if (!isIn(DIRECTION_TYPES, info.directionType)) return `info.directionType must be one of ${DIRECTION_TYPES.join(', ')}`;
  if (!isIn(CONNECTION_TYPES, info.connectionType)) return `info.connectionType must be one of ${CONNECTION_TYPES.join(', ')}`;
  for (const key of ['physAddress', 'permanentPhysAddress'] as const) {
    const v = info[key];
    if (!PHYS_ADDRESS_PATTERN.test(v)) {
      return `info.${key} must be up to ${MAX_PHYS_ADDRESS_BYTES} colon-separated hex bytes, got '${v}'`;
    }
  }
  if (info.friendlyName.length === 0 || [...info.friendlyName].length > MAX_FRIENDLY_NAME) {
    return `info.friendlyName must be 1..${MAX_FRIENDLY_NAME} characters`;
  }
  for (const key of ['interfaceGuid', 'networkGuid'] as const) {
    if (!GUID_PATTERN.test(info[key])) return `info.${key} must be a GUID like ${ZERO_GUID}, got '${info[key]}'`;
  }
  if (!Number.isInteger(info.mediaType) || info.mediaType < 0 || info.mediaType > MAX_MEDIA_TYPE) {
    return `info.mediaType must be an NDIS_MEDIUM value 0..${MAX_MEDIA_TYPE}, got ${info.mediaType}`;
  }
  if (!Number.isInteger(info.physicalMediumType) || info.physicalMediumType < 0 || info.physicalMediumType > MAX_PHYSICAL_MEDIUM) {
    return `info.physicalMediumType must be an NDIS_PHYSICAL_MEDIUM value 0..${MAX_PHYSICAL_MEDIUM}, got ${info.physicalMediumType}`;
  }
  return undefined;
}

const SCALAR_FIELDS = [
  'flags',
  'wanTunnelType',
  'portNumber',
  'accessType',
  'directionType',
  'connectionType',
  'connectorPresent',
  'physAddress',
  'permanentPhysAddress',
  'friendlyName',
  'interfaceGuid',
  'networkGuid',
  'supportedStatistics',
  'mediaType',
  'physicalMediumType',
] as const satisfies readonly (keyof NetIfInformation)[];
const LOCATION_FIELDS = ['busNumber', 'slotNumber', 'functionNumber'] as const satisfies readonly (keyof PhysicalLocation)[];

/**
 * Field-by-field equality, used to tell an idempotent re-detection from a conflict. Not
 * JSON text equality: a record read back from a store (PostgreSQL jsonb, for one) may
 * come with its keys in another order.
 */
export function sameInfo(a: NetIfInformation, b: NetIfInformation): boolean {
  return (
    SCALAR_FIELDS.every((key) => a[key] === b[key]) &&
    LOCATION_FIELDS.every((key) => a.physicalLocation[key] === b.physicalLocation[key])
  );
}
