import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Who asked, as far as the API knows: the token's identity (a digest prefix, never the token)
 * when writes need one, and the remote address.
 */
export function callerOf(request: FastifyRequest, token: string | undefined): string {
  const address = `address:${request.socket.remoteAddress ?? 'unknown'}`;
  if (token === undefined) return address;
  return `token:${createHash('sha256').update(token).digest('hex').slice(0, 12)} ${address}`;
}
