import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConfigError, env, secretSetting } from '@ifreg/platform';
import type { HttpApp } from './app';

/** Sizes above which a request is refused before it is handled (docs/security.md). */
export interface HttpLimits {
  /** Largest request body in bytes: 413 above it. */
  readonly bodyLimit: number;
  /** Largest request line plus headers in bytes (Node's maxHeaderSize): 431 above it. */
  readonly maxHeaderSize: number;
}

export const defaultHttpLimits: HttpLimits = { bodyLimit: 64 * 1024, maxHeaderSize: 16 * 1024 };

/** The token and limits of a service that serves the HTTP API, from its environment. */
export const httpSecurityEnvSchema = z.object({
  IFREG_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  IFREG_TOKEN_FILE: env.file(),
  IFREG_HTTP_BODY_LIMIT: env.int(defaultHttpLimits.bodyLimit, 1024, 64 * 1024 * 1024),
  IFREG_HTTP_MAX_HEADER_SIZE: env.int(defaultHttpLimits.maxHeaderSize, 1024, 1024 * 1024),
});

export interface HttpSecuritySettings {
  readonly token: string | undefined;
  readonly limits: HttpLimits;
}

/** IFREG_TOKEN or the file IFREG_TOKEN_FILE names (docker secrets); throws a ConfigError. */
export function httpSecuritySettings(c: z.infer<typeof httpSecurityEnvSchema>): HttpSecuritySettings {
  const token = secretSetting('IFREG_TOKEN', c.IFREG_TOKEN, c.IFREG_TOKEN_FILE, { minLength: 16 });
  if (token !== undefined && /\s/.test(token)) throw new ConfigError(['IFREG_TOKEN: must not contain white space']);
  return { token, limits: { bodyLimit: c.IFREG_HTTP_BODY_LIMIT, maxHeaderSize: c.IFREG_HTTP_MAX_HEADER_SIZE } };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** Methods that only read; every other method is a write and goes through the guard. */
const READ_METHODS = new Set(['GET', 'HEAD']);

export interface WriteRefusal {
  readonly status: 401 | 403;
  readonly error: 'Unauthorized' | 'Forbidden';
  readonly reason: string;
}

// Digests have one length whatever was sent, so the comparison takes the same time for
// every candidate and tells nothing about the token's length either.
const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Who may write. With a token: a request whose `Authorization: Bearer <token>` matches,
 * compared in constant time. Without one (DESIGN §2.9): loopback clients only.
 */
export function writeAuthorizer(token: string | undefined): (request: FastifyRequest) => WriteRefusal | undefined {
  if (token === undefined) {
    return (request) =>
      LOOPBACK.has(request.socket.remoteAddress ?? '')
        ? undefined
        : { status: 403, error: 'Forbidden', reason: 'writes are accepted from loopback only when no token is configured' };
  }
  const expected = digest(token);
  return (request) => {
    const given = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const match = timingSafeEqual(digest(given), expected);
    return match && given !== '' ? undefined : { status: 401, error: 'Unauthorized', reason: 'missing or wrong bearer token' };
  };
}

/**
 * The one place writes are authorised: every request that is not GET or HEAD, whatever its
 * route (also unknown ones), is checked before its body is read.
 */
export function guardWrites(app: HttpApp, token: string | undefined): void {
  const authorize = writeAuthorizer(token);
  // A callback hook, not an async one: reads pass with no promise made (every GET runs it).
  app.addHook('onRequest', (request, reply, done) => {
    const refusal = READ_METHODS.has(request.method) ? undefined : authorize(request);
    if (!refusal) return done();
    if (refusal.status === 401) void reply.header('www-authenticate', 'Bearer realm="ifreg"');
    void reply.code(refusal.status).send({ error: refusal.error, reason: refusal.reason });
  });
}

/**
 * Answers requests Node refuses before fastify sees them (headers too large, malformed) in
 * the API's error shape, then closes the connection.
 */
export function clientErrorHandler(limits: HttpLimits): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, body] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, { error: 'RequestHeaderFieldsTooLarge', reason: `the request line and headers are larger than ${limits.maxHeaderSize} bytes` }]
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, { error: 'RequestTimeout', reason: 'the request took too long to arrive' }]
          : [400, { error: 'BadRequest', reason: 'malformed HTTP request' }];
    if (socket.writable) {
      const json = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
      );
    }
    socket.destroy(error);
  };
}
