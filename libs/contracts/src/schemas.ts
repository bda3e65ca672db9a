import {
  ACCESS_TYPES,
  CONNECTION_TYPES,
  DIRECTION_TYPES,
  FAILURE_STATUSES,
  GUID_PATTERN,
  KNOWN_FLAGS,
  MAX_PROVIDER_CONTEXT_BYTES,
  PHYS_ADDRESS_PATTERN,
  OBJECT_STATUSES,
  SET_REQUEST_ID_PATTERN,
  MAX_FRIENDLY_NAME,
  MAX_IF_INDEX,
  MAX_IF_TYPE,
  MAX_MEDIA_TYPE,
  MAX_NET_LUID_INDEX,
  MAX_PHYSICAL_MEDIUM,
  SCOPE_PATTERN,
  UINT32_MAX,
} from '@ifreg/domain';

/** Versions of the message and event JSON (DESIGN.md §2.9). Bump on a breaking change. */
export const SCHEMA_VERSION = 1;
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [1];

const id = (name: string): string => `urn:ifreg:schema:${name}:v${SCHEMA_VERSION}`;
const u32 = { type: 'integer', minimum: 0, maximum: UINT32_MAX } as const;
const time = { type: 'string', format: 'date-time' } as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
// The limits come from the domain's definitions, so the edge and `decide` cannot disagree.
const guid = { type: 'string', pattern: GUID_PATTERN.source } as const;
const physAddress = { type: 'string', pattern: PHYS_ADDRESS_PATTERN.source } as const;

export const scopeSchema = { type: 'string', pattern: SCOPE_PATTERN.source } as const;
export const messageIdSchema = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } as const;

export const luidSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ifType', 'netLuidIndex'],
  properties: {
    ifType: { type: 'integer', minimum: 0, maximum: MAX_IF_TYPE },
    netLuidIndex: { type: 'integer', minimum: 0, maximum: MAX_NET_LUID_INDEX },
  },
} as const;

export const infoSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['friendlyName'],
  properties: {
    flags: { type: 'integer', minimum: 0, maximum: KNOWN_FLAGS },
    physicalLocation: {
      type: 'object',
      additionalProperties: false,
      properties: { busNumber: u32, slotNumber: u32, functionNumber: u32 },
    },
    wanTunnelType: u32,
    portNumber: u32,
    accessType: { enum: ACCESS_TYPES },
    directionType: { enum: DIRECTION_TYPES },
    connectionType: { enum: CONNECTION_TYPES },
    connectorPresent: { type: 'boolean' },
    physAddress,
    permanentPhysAddress: physAddress,
    friendlyName: text(MAX_FRIENDLY_NAME),
    interfaceGuid: guid,
    networkGuid: guid,
    supportedStatistics: u32,
    mediaType: { type: 'integer', minimum: 0, maximum: MAX_MEDIA_TYPE },
    physicalMediumType: { type: 'integer', minimum: 0, maximum: MAX_PHYSICAL_MEDIUM },
  },
} as const;

const envelope = (type: string) => ({
  type: { const: type },
  schemaVersion: { const: SCHEMA_VERSION },
  messageId: messageIdSchema,
  scope: scopeSchema,
});

export const interfaceDetectedSchema = {
  $id: id('InterfaceDetected'),
  type: 'object',
  additionalProperties: false,
  required: ['type', 'schemaVersion', 'messageId', 'scope', 'providerId', 'luid', 'info'],
  properties: {
    ...envelope('InterfaceDetected'),
    providerId: text(128),
    luid: luidSchema,
    // Characters here; the domain refuses more than this many UTF-8 bytes (INVALID_PARAMETER).
    providerIfContext: { type: 'string', maxLength: MAX_PROVIDER_CONTEXT_BYTES },
    info: infoSchema,
    detectedAt: time,
  },
} as const;

export const interfaceRemovedSchema = {
  $id: id('InterfaceRemoved'),
  type: 'object',
  additionalProperties: false,
  required: ['type', 'schemaVersion', 'messageId', 'scope', 'providerId', 'luid'],
  properties: { ...envelope('InterfaceRemoved'), providerId: text(128), luid: luidSchema, removedAt: time },
} as const;

export const bootEpochSchema = {
  $id: id('BootEpoch'),
  type: 'object',
  additionalProperties: false,
  required: ['type', 'schemaVersion', 'messageId', 'scope'],
  properties: { ...envelope('BootEpoch'), bootId: text(128), at: time },
} as const;

export const netLuidIndexRequestedSchema = {
  $id: id('NetLuidIndexRequested'),
  type: 'object',
  additionalProperties: false,
  required: ['type', 'schemaVersion', 'messageId', 'scope', 'providerId', 'ifType'],
  properties: { ...envelope('NetLuidIndexRequested'), providerId: text(128), ifType: { type: 'integer', minimum: 0, maximum: MAX_IF_TYPE } },
} as const;

export const netLuidIndexFreeRequestedSchema = {
  $id: id('NetLuidIndexFreeRequested'),
  type: 'object',
  additionalProperties: false,
  required: ['type', 'schemaVersion', 'messageId', 'scope', 'providerId', 'luid'],
  properties: { ...envelope('NetLuidIndexFreeRequested'), providerId: text(128), luid: luidSchema },
} as const;

/** An OID: its 32-bit value, and its NDIS name when known. */
export const oidSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: { value: { type: 'integer', minimum: 1, maximum: UINT32_MAX }, name: { type: 'string', pattern: '^OID_[A-Z0-9_]{1,60}$' } },
} as const;
export const objectStatusSchema = { enum: OBJECT_STATUSES } as const;
export const setRequestIdSchema = { type: 'string', pattern: SET_REQUEST_ID_PATTERN.source } as const;
const objectSetFields = {
  providerId: text(128),
  luid: luidSchema,
  ifIndex: { type: 'integer', minimum: 1, maximum: MAX_IF_INDEX },
  oid: oidSchema,
  value: {},
  requestId: setRequestIdSchema,
  caller: text(256),
} as const;
const objectSetRequired = ['type', 'schemaVersion', 'messageId', 'scope', 'providerId', 'luid', 'ifIndex', 'oid', 'value', 'requestId', 'caller'] as const;

export const objectSetRequestedSchema = {
  $id: id('ObjectSetRequested'),
  type: 'object',
  additionalProperties: false,
  required: objectSetRequired,
  properties: { ...envelope('ObjectSetRequested'), ...objectSetFields },
} as const;

export const objectSetAnsweredSchema = {
  $id: id('ObjectSetAnswered'),
  type: 'object',
  additionalProperties: false,
  required: [...objectSetRequired, 'status'],
  properties: { ...envelope('ObjectSetAnswered'), ...objectSetFields, status: objectStatusSchema, reason: { type: 'string', maxLength: 1024 }, answer: {} },
} as const;

export const MESSAGE_SCHEMAS = {
  InterfaceDetected: interfaceDetectedSchema,
  InterfaceRemoved: interfaceRemovedSchema,
  BootEpoch: bootEpochSchema,
  NetLuidIndexRequested: netLuidIndexRequestedSchema,
  NetLuidIndexFreeRequested: netLuidIndexFreeRequestedSchema,
  ObjectSetRequested: objectSetRequestedSchema,
  ObjectSetAnswered: objectSetAnsweredSchema,
} as const;

const eventBase = (type: string, extra: readonly string[]) => ({
  type: 'object',
  required: ['type', 'scope', 'epoch', 'causationId', 'at', ...extra],
  properties: {
    type: { const: type },
    scope: scopeSchema,
    epoch: { type: 'integer', minimum: 0 },
    causationId: messageIdSchema,
    at: time,
    ifIndex: { type: 'integer', minimum: 1, maximum: MAX_IF_INDEX },
    luid: luidSchema,
    status: { enum: FAILURE_STATUSES },
    reason: { type: 'string' },
    messageType: { type: 'string' },
    providerId: { type: 'string' },
    info: { type: 'object' },
    detectedAt: time,
    removedAt: time,
  },
});

/** The set events: the base fields, with an object's status instead of a registration's. */
const objectSetEvent = (type: string, extra: readonly string[]) => {
  const base = eventBase(type, ['ifIndex', 'luid', 'providerId', 'oid', 'value', 'requestId', 'caller', ...extra]);
  return { ...base, properties: { ...base.properties, oid: oidSchema, status: objectStatusSchema, requestId: setRequestIdSchema, caller: { type: 'string' }, value: {}, answer: {} } };
};

/** Events as recorded and published on the outcomes topic. Open to new optional fields. */
export const EVENT_SCHEMAS = {
  BootEpochStarted: { $id: id('BootEpochStarted'), ...eventBase('BootEpochStarted', []) },
  InterfaceRegistered: {
    $id: id('InterfaceRegistered'),
    ...eventBase('InterfaceRegistered', ['ifIndex', 'luid', 'providerId', 'info']),
  },
  RegistrationFailed: {
    $id: id('RegistrationFailed'),
    ...eventBase('RegistrationFailed', ['status', 'reason', 'messageType']),
  },
  InterfaceDeregistered: {
    $id: id('InterfaceDeregistered'),
    ...eventBase('InterfaceDeregistered', ['ifIndex', 'luid', 'providerId']),
  },
  InterfaceRedetected: {
    $id: id('InterfaceRedetected'),
    ...eventBase('InterfaceRedetected', ['ifIndex', 'luid', 'providerId']),
  },
  NetLuidIndexAllocated: { $id: id('NetLuidIndexAllocated'), ...eventBase('NetLuidIndexAllocated', ['luid', 'providerId']) },
  NetLuidIndexFreed: { $id: id('NetLuidIndexFreed'), ...eventBase('NetLuidIndexFreed', ['luid', 'providerId']) },
  InterfaceObjectSetRequested: { $id: id('InterfaceObjectSetRequested'), ...objectSetEvent('InterfaceObjectSetRequested', []) },
  InterfaceObjectSetAnswered: { $id: id('InterfaceObjectSetAnswered'), ...objectSetEvent('InterfaceObjectSetAnswered', ['status']) },
} as const;
