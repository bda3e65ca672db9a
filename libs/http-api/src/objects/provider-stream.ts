import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { decodeObjectReply, type ObjectRequest } from '@ifreg/contracts';
import type { HttpApp } from '../app';
import { sendError } from '../errors';
import { Scope } from '../schema';
import { writeAuthorizer } from '../security';
import type { ObjectApiDeps } from './object-deps';

type Req = FastifyRequest<{ Params: { scope: string; providerId: string } }>;

/** How often a provider's stream is pinged; one that misses a pong is closed. */
const PING_MS = 30_000;

/**
 * GET /v1/scopes/{scope}/providers/{providerId}/objects (WebSocket): an HTTP provider holds it
 * open; the object requests for its interfaces come down it and its replies go up it. Holding
 * it is a write (it answers for the provider's interfaces): the token rules apply at the upgrade.
 * The newest stream of a provider wins; a reply that is not awaited is refused on the stream.
 */
export async function registerProviderStream(app: HttpApp, objects: ObjectApiDeps, token: string | undefined): Promise<void> {
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  const authorize = writeAuthorizer(token);
  app.get(
    '/v1/scopes/:scope/providers/:providerId/objects',
    {
      websocket: true,
      schema: {
        tags: ['objects'],
        summary: 'A provider’s object stream (WebSocket): ObjectRequest JSON down, ObjectReply JSON up',
        security: [{ bearer: [] }],
        params: {
          type: 'object',
          required: ['scope', 'providerId'],
          properties: { scope: Scope, providerId: { type: 'string', minLength: 1, maxLength: 128 } },
        },
      },
      preValidation: (request, reply, done) => {
        const refusal = authorize(request);
        if (!refusal) return done();
        void sendError(reply, refusal.status, refusal.error, refusal.reason);
      },
    },
    (socket: WebSocket, request: Req) => {
      const { scope, providerId } = request.params;
      const log = request.log.child({ scope, providerId, component: 'provider-stream' });
      const detach = objects.broker.attach(scope, providerId, {
        deliver: (objectRequest: ObjectRequest) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(objectRequest));
        },
      });
      let alive = true;
      const ping = setInterval(() => {
        if (!alive) return socket.terminate();
        alive = false;
        socket.ping();
      }, PING_MS);
      socket.on('pong', () => (alive = true));
      socket.on('message', (data) => {
        const decoded = decodeObjectReply(textOf(data));
        const refusal = decoded.ok ? (decoded.value.scope === scope && decoded.value.providerId === providerId ? objects.broker.reply(decoded.value, 'websocket') : `this stream is provider ${providerId}'s of scope ${scope}`) : decoded.reason;
        if (refusal) socket.send(JSON.stringify({ type: 'ReplyRefused', requestId: decoded.ok ? decoded.value.requestId : undefined, reason: refusal }));
      });
      socket.on('close', () => {
        clearInterval(ping);
        detach();
        log.info('provider stream closed');
      });
      socket.send(JSON.stringify({ type: 'ProviderAttached', scope, providerId }));
      log.info('provider stream attached');
    },
  );
}

/** A WebSocket message as text, whichever of ws's shapes it came in. */
const textOf = (data: RawData): string => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
