import { createHash } from 'node:crypto';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { checkLuid, checkScope, type AgentMessage, type NetLuid, type RegistryEvent } from '@ifreg/domain';
import { EVENT_SCHEMAS, MESSAGE_SCHEMAS, SUPPORTED_SCHEMA_VERSIONS, messageIdSchema } from './schemas';

/** The result of reading one agent message at the edge. */
export type Decoded =
  | { readonly kind: 'message'; readonly message: AgentMessage }
  /** The scope is readable, the rest is not acceptable: recorded as RegistrationFailed INVALID_PARAMETER. */
  | {
      readonly kind: 'rejected';
      readonly scope: string;
      readonly messageId: string;
      readonly messageType: string;
      readonly reason: string;
      readonly luid?: NetLuid;
    }
  /** Not even the scope is readable: goes to the dead-letter topic with the reason. */
  | { readonly kind: 'dead-letter'; readonly reason: string };

const ajv = new Ajv({ allErrors: false, strict: true });
addFormats(ajv, ['date-time', 'uuid']);
const messageValidators = new Map<string, ValidateFunction>(
  Object.entries(MESSAGE_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]),
);
const eventValidators = new Map<string, ValidateFunction>(
  Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]),
);
const validMessageId = ajv.compile(messageIdSchema);
// Events read back from our own store were checked at the edge, formats included; their
// shape is what folding relies on, and the date-time format checks were half the cost of
// validating a stored event.
const storedAjv = new Ajv({ allErrors: false, strict: true, validateFormats: false });
const storedEventValidators = new Map<string, ValidateFunction>(
  Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, storedAjv.compile(schema)]),
);

/**
 * The largest agent message read, in bytes (Kafka value or HTTP body string). A valid message
 * is a few hundred bytes; the longest one the schemas allow, every string at its maximum
 * length and written as \u escapes, is about 15 KB (only whitespace padding goes further).
 * Bigger input is dead-lettered without being parsed: parsing and validating it would be work
 * an abuser chooses. (The registrar dead-letters; the HTTP API has its own body limit.)
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;
/** Deepest nesting of objects and arrays read; a valid message nests 3 levels. */
export const MAX_MESSAGE_DEPTH = 32;

export interface DecodeOptions {
  /** Default DEFAULT_MAX_MESSAGE_BYTES. */
  readonly maxBytes?: number;
}

/** Reads an agent message from Kafka bytes, an HTTP body string, or parsed JSON. Never throws. */
export function decodeAgentMessage(raw: unknown, options: DecodeOptions = {}): Decoded {
  try {
    return decode(raw, options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  } catch (error) {
    // A bug, not a verdict on the message; still never a crash of the consumer, never a
    // silent drop: the message goes to the dead letters with the error as the reason.
    return { kind: 'dead-letter', reason: `unreadable: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function decode(raw: unknown, maxBytes: number): Decoded {
  let value: unknown = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
    const size = typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.length;
    if (size > maxBytes) return { kind: 'dead-letter', reason: `message is ${size} bytes, more than the maximum of ${maxBytes}` };
    try {
      value = JSON.parse(raw.toString());
    } catch (error) {
      return { kind: 'dead-letter', reason: `not JSON: ${(error as Error).message}` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'dead-letter', reason: 'a message must be a JSON object' };
  }
  const body = value as Record<string, unknown>;
  const scope = checkScope(body['scope']);
  if (!scope.ok) return { kind: 'dead-letter', reason: scope.reason };
  // Before anything walks the body recursively (JSON.stringify for a derived id overflowed
  // the stack at ~5,000 levels, and a RangeError stops a Kafka consumer for good).
  const tooDeep = nestedDeeperThan(body, MAX_MESSAGE_DEPTH);
  const reject = (reason: string): Decoded => ({
    kind: 'rejected',
    scope: scope.value,
    messageId:
      typeof body['messageId'] === 'string' && validMessageId(body['messageId'])
        ? body['messageId']
        : tooDeep
          ? derivedMessageIdOfBytes(raw, scope.value)
          : derivedMessageId(body),
    messageType: typeof body['type'] === 'string' ? body['type'].slice(0, 64) : 'unknown',
    reason,
    ...readableLuid(body['luid']),
  });
  if (tooDeep) return reject(`message nests objects or arrays deeper than ${MAX_MESSAGE_DEPTH} levels`);
  const type = body['type'];
  const validate = typeof type === 'string' ? messageValidators.get(type) : undefined;
  if (!validate) return reject(`type must be one of ${[...messageValidators.keys()].join(', ')}, got ${JSON.stringify(type)}`);
  if (!SUPPORTED_SCHEMA_VERSIONS.includes(body['schemaVersion'] as number)) {
    return reject(`schemaVersion ${JSON.stringify(body['schemaVersion'])} is not supported (supported: ${SUPPORTED_SCHEMA_VERSIONS.join(', ')})`);
  }
  if (!validate(body)) return reject(describe(validate.errors?.[0]));
  return { kind: 'message', message: body as unknown as AgentMessage };
}

/** Checks an event read back from the store or an outcome topic; undefined when valid. */
export const eventProblem = (value: unknown): string | undefined => problemOf(eventValidators, value);

/** eventProblem for an event read from the registry's own store: the same shape, formats not checked again. */
export const storedEventProblem = (value: unknown): string | undefined => problemOf(storedEventValidators, value);

function problemOf(validators: typeof eventValidators, value: unknown): string | undefined {
  const type = (value as { type?: unknown } | null)?.type;
  const validate = typeof type === 'string' ? validators.get(type) : undefined;
  if (!validate) return `unknown event type ${JSON.stringify(type)}`;
  return validate(value) ? undefined : describe(validate.errors?.[0]);
}

export const isRegistryEvent = (value: unknown): value is RegistryEvent => eventProblem(value) === undefined;

/** One readable sentence naming the field, e.g. "luid.netLuidIndex must be <= 16777215". */
export function describe(error: ErrorObject | undefined): string {
  if (!error) return 'invalid message';
  const path = error.instancePath.slice(1).replaceAll('/', '.');
  const at = (name: string): string => (path ? `${path}.${name}` : name);
  switch (error.keyword) {
    case 'required':
      return `${at(String(error.params['missingProperty']))} is required`;
    case 'additionalProperty':
    case 'additionalProperties':
      return `${at(String(error.params['additionalProperty']))} is not a known field`;
    case 'enum':
      return `${path} must be one of ${(error.params['allowedValues'] as unknown[]).join(', ')}`;
    case 'const':
      return `${path} must be ${JSON.stringify(error.params['allowedValue'])}`;
    default:
      return `${path || 'message'} ${error.message ?? 'is invalid'}`;
  }
}

/** A stable id for a message that has none, so a redelivery is still recognised. */
function derivedMessageId(body: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32)}`;
}

/**
 * The same for a body too deep to serialise: from its bytes (the same on redelivery). Parsed
 * JSON (HTTP) has no bytes here: such bodies share one id per scope, so after the first, each
 * is answered with the first one's refusal, which is a refusal all the same.
 */
function derivedMessageIdOfBytes(raw: unknown, scope: string): string {
  const bytes = typeof raw === 'string' || Buffer.isBuffer(raw) ? raw : `too deep in ${scope}`;
  return `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`;
}

/**
 * Whether objects or arrays nest deeper than `max` levels. Runs on every message, so no
 * allocation per node; the recursion stops at `max` levels, so any input depth is safe.
 */
function nestedDeeperThan(value: object, max: number): boolean {
  if (max === 0) return true;
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null && nestedDeeperThan(child, max - 1)) return true;
  }
  return false;
}

function readableLuid(luid: unknown): { luid?: NetLuid } {
  const candidate = luid as { ifType?: unknown; netLuidIndex?: unknown } | null | undefined;
  if (typeof candidate?.ifType !== 'number' || typeof candidate.netLuidIndex !== 'number') return {};
  const checked = checkLuid(candidate.ifType, candidate.netLuidIndex);
  return checked.ok ? { luid: checked.value } : {};
}
