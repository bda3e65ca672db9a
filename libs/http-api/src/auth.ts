import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Undefined when the request may write, else the reason it may not. */
export function writeRefusal(request: FastifyRequest, token: string | undefined): string | undefined {
  if (token === undefined) {
    return LOOPBACK.has(request.socket.remoteAddress ?? '') ? undefined : 'writes are accepted from loopback only when no token is configured';
  }
  const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b) ? undefined : 'missing or wrong bearer token';
}
