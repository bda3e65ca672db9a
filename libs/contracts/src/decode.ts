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

/** Reads an agent message from Kafka bytes, an HTTP body string, or parsed JSON. Never throws. */
export function decodeAgentMessage(raw: unknown): Decoded {
  let value: unknown = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
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
  const reject = (reason: string): Decoded => ({
    kind: 'rejected',
    scope: scope.value,
    messageId: typeof body['messageId'] === 'string' && validMessageId(body['messageId']) ? body['messageId'] : derivedMessageId(body),
    messageType: typeof body['type'] === 'string' ? body['type'].slice(0, 64) : 'unknown',
    reason,
    ...readableLuid(body['luid']),
  });
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
export function eventProblem(value: unknown): string | undefined {
  const type = (value as { type?: unknown } | null)?.type;
  const validate = typeof type === 'string' ? eventValidators.get(type) : undefined;
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

function readableLuid(luid: unknown): { luid?: NetLuid } {
  const candidate = luid as { ifType?: unknown; netLuidIndex?: unknown } | null | undefined;
  if (typeof candidate?.ifType !== 'number' || typeof candidate.netLuidIndex !== 'number') return {};
  const checked = checkLuid(candidate.ifType, candidate.netLuidIndex);
  return checked.ok ? { luid: checked.value } : {};
}
