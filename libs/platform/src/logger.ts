import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Fields that may hold a secret, at the top level and one or two levels down: their values
 * are replaced by "[redacted]" in every log line (docs/security.md).
 */
const SECRET_FIELDS = ['authorization', 'cookie', 'password', 'passphrase', 'token', 'secret', 'connectionString', 'sasl', 'ssl', 'tls'];
export const REDACTED_PATHS: readonly string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  ...SECRET_FIELDS.map((field) => `*.*.${field}`),
  'req.headers["x-api-key"]',
];

// user:password@ after the scheme, up to the last "@" before the path (as URL parsers read
// it): the password may hold "@" too, but no "/" or spaces.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^/\s]*@/gi;

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; other text unchanged. */
export function maskUrlPassword(text: string): string {
  return text.includes('://') ? text.replace(URL_CREDENTIALS, '$1***@') : text;
}

/** Masks passwords in URLs found in string fields of a log object (three levels deep), copying only what changes. */
function maskUrls(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskUrlPassword(value);
  if (depth === 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const masked = maskUrls(item, depth - 1);
      changed ||= masked !== item;
      return masked;
    });
    return changed ? items : value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value; // errors, buffers, class instances: as they are
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const masked = maskUrls(item, depth - 1);
    if (masked !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = masked;
  }
  return copy ?? value;
}

function maskedError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  const copy: Record<string, unknown> = { ...serialized };
  for (const field of ['message', 'stack'] as const) {
    const text = copy[field];
    if (typeof text === 'string') copy[field] = maskUrlPassword(text);
  }
  return copy;
}

export interface LoggerOptions {
  readonly level: string;
  readonly name: string;
  readonly pretty?: boolean;
  /** Where the lines go; stdout by default (tests capture them here). */
  readonly destination?: DestinationStream;
}

/**
 * Structured JSON logs on stdout; pretty only when a person asked for it. Secrets are kept
 * out: fields named like secrets are redacted and URL passwords are masked, in the fields
 * and in the message.
 */
export function createLogger(options: LoggerOptions): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name,
    level: options.level,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    formatters: { log: (object) => maskUrls(object, 3) as Record<string, unknown> },
    // Errors are not plain objects (maskUrls leaves them): their message and stack are masked here.
    serializers: { err: maskedError },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === 'string' ? maskUrlPassword(arg) : arg)) as typeof args;
        // log.error(err) alone: pino would take the line's message from the error, unmasked.
        const [first] = masked;
        if (first instanceof Error && masked.length === 1) masked.push(maskUrlPassword(first.message));
        method.apply(this, masked);
      },
    },
    ...(options.pretty && !options.destination ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
