import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { NetLuid, ObjectStatus, Oid } from '@ifreg/domain';
import { MAX_IF_INDEX, MAX_OBJECT_VALUE_BYTES } from '@ifreg/domain';
import { describe } from './decode';
import { SCHEMA_VERSION, luidSchema, objectStatusSchema, oidSchema, scopeSchema, setRequestIdSchema } from './schemas';

/*
 * Provider-bound object traffic (DESIGN §2.10): the registry asks a provider about one
 * interface (an OID query or set, with the ProviderIfContext of its registration), the
 * provider answers. The same JSON on Kafka (ifreg.object-requests / ifreg.object-replies) and
 * on a provider's WebSocket; nothing of it is recorded (sets are, as registrar messages).
 */

/** Where a Kafka reply goes: the asking replica's partition of the replies topic. */
export interface ReplyTo {
  readonly topic: string;
  readonly partition: number;
  /** The asking replica; replies for other replicas on the same partition are skipped. */
  readonly replica: string;
}

export interface ObjectRequest {
  readonly type: 'ObjectRequest';
  readonly schemaVersion: number;
  /** Correlation id of this one attempt (a UUID). */
  readonly requestId: string;
  readonly scope: string;
  readonly providerId: string;
  readonly ifIndex: number;
  readonly luid: NetLuid;
  /** Handed back as the provider gave it at registration. */
  readonly providerIfContext: string;
  readonly operation: 'query' | 'set';
  readonly oid: Oid;
  /** Sets only: the value asked for. */
  readonly value?: unknown;
  /** Sets only: the caller's request id, the same on a retry (a provider applies it once). */
  readonly setRequestId?: string;
  readonly caller?: string;
  /** After this time nobody waits for the answer: a provider may drop the request. */
  readonly deadline: string;
  readonly replyTo?: ReplyTo;
}

export interface ObjectReply {
  readonly type: 'ObjectReply';
  readonly schemaVersion: number;
  readonly requestId: string;
  readonly scope: string;
  readonly providerId: string;
  readonly providerIfContext: string;
  readonly oid: number;
  readonly status: ObjectStatus;
  readonly value?: unknown;
  readonly reason?: string;
  /** Copied from the request's replyTo, so a replica tells its own replies apart. */
  readonly replica?: string;
}

const uuidLike = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } as const;
const providerIdSchema = { type: 'string', minLength: 1, maxLength: 128 } as const;
const contextSchema = { type: 'string', maxLength: 256 } as const;

export const objectRequestSchema = {
  $id: `urn:ifreg:schema:ObjectRequest:v${SCHEMA_VERSION}`,
  type: 'object',
  additionalProperties: false,
  required: ['type', 'schemaVersion', 'requestId', 'scope', 'providerId', 'ifIndex', 'luid', 'providerIfContext', 'operation', 'oid', 'deadline'],
  properties: {
    type: { const: 'ObjectRequest' },
    schemaVersion: { const: SCHEMA_VERSION },
    requestId: uuidLike,
    scope: scopeSchema,
    providerId: providerIdSchema,
    ifIndex: { type: 'integer', minimum: 1, maximum: MAX_IF_INDEX },
    luid: luidSchema,
    providerIfContext: contextSchema,
    operation: { enum: ['query', 'set'] },
    oid: oidSchema,
    value: {},
    setRequestId: setRequestIdSchema,
    caller: { type: 'string', maxLength: 256 },
    deadline: { type: 'string', format: 'date-time' },
    replyTo: {
      type: 'object',
      additionalProperties: false,
      required: ['topic', 'partition', 'replica'],
      properties: { topic: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,249}$' }, partition: { type: 'integer', minimum: 0 }, replica: uuidLike },
    },
  },
} as const;

export const objectReplySchema = {
  $id: `urn:ifreg:schema:ObjectReply:v${SCHEMA_VERSION}`,
  type: 'object',
  additionalProperties: false,
  required: ['type', 'schemaVersion', 'requestId', 'scope', 'providerId', 'providerIfContext', 'oid', 'status'],
  properties: {
    type: { const: 'ObjectReply' },
    schemaVersion: { const: SCHEMA_VERSION },
    requestId: uuidLike,
    scope: scopeSchema,
    providerId: providerIdSchema,
    providerIfContext: contextSchema,
    oid: oidSchema.properties.value,
    status: objectStatusSchema,
    value: {},
    reason: { type: 'string', maxLength: 1024 },
    replica: uuidLike,
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true });
addFormats(ajv, ['date-time']);
const validRequest: ValidateFunction = ajv.compile(objectRequestSchema);
const validReply: ValidateFunction = ajv.compile(objectReplySchema);

/** The most bytes of one request or reply read: a value's bound plus the envelope. */
export const MAX_OBJECT_MESSAGE_BYTES = MAX_OBJECT_VALUE_BYTES + 4096;

export type DecodedObject<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Reads a request from bytes, text or parsed JSON; never throws. */
export const decodeObjectRequest = (raw: unknown): DecodedObject<ObjectRequest> => decodeWith(raw, validRequest);
/** Reads a reply from bytes, text or parsed JSON; never throws. */
export const decodeObjectReply = (raw: unknown): DecodedObject<ObjectReply> => decodeWith(raw, validReply);

function decodeWith<T>(raw: unknown, validate: ValidateFunction): DecodedObject<T> {
  let value = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
    const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
    if (size > MAX_OBJECT_MESSAGE_BYTES) return { ok: false, reason: `message is ${size} bytes, more than ${MAX_OBJECT_MESSAGE_BYTES}` };
    try {
      value = JSON.parse(raw.toString());
    } catch (error) {
      return { ok: false, reason: `not JSON: ${(error as Error).message}` };
    }
  }
  try {
    return validate(value) ? { ok: true, value: value as T } : { ok: false, reason: describe(validate.errors?.[0]) };
  } catch (error) {
    return { ok: false, reason: `unreadable: ${(error as Error).message}` };
  }
}
