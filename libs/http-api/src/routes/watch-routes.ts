import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Change } from '@ifreg/query';
import type { HttpApiDeps } from '../deps';
import type { HttpApp } from '../app';
import { errorSchema, sendError } from '../errors';
import { s } from '../schema';

const HEARTBEAT_MS = 15_000;
/** A client this far behind is cut off; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

type WatchRequest = FastifyRequest<{ Querystring: { scope?: string; from?: number } }>;

/**
 * GET /v1/watch: server-sent events of the changes of one scope (or all), `id:` = store
 * position, resumable from Last-Event-ID or `from`. A position older than the kept history
 * answers 410: relist, then watch from the list's position.
 */
export function registerWatchRoutes(app: HttpApp, deps: HttpApiDeps): void {
  // An open stream would keep the server from closing: end them all when it closes.
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', (done) => {
    for (const raw of streams) raw.end();
    done();
  });
  app.get(
    '/v1/watch',
    {
      schema: {
        tags: ['interfaces'],
        summary: 'Server-sent events of changes: registered, deregistered, failed, reset',
        querystring: s.object({
          scope: s.string({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'one scope; all scopes when absent' }),
          from: s.integer({ minimum: 0, description: 'deliver changes after this position (Last-Event-ID wins)' }),
        }),
        headers: s.object({ 'last-event-id': s.string({ pattern: '^[0-9]{1,15}$' }) }, [], { additionalProperties: true }),
        response: { 410: errorSchema },
      },
    },
    (request: WatchRequest, reply) => watch(deps, request, reply, streams),
  );
}

function watch(deps: HttpApiDeps, request: WatchRequest, reply: FastifyReply, streams: Set<ServerResponse>): FastifyReply | undefined {
  const { scope } = request.query;
  const lastEventId = request.headers['last-event-id'];
  const from = typeof lastEventId === 'string' ? Number(lastEventId) : (request.query.from ?? deps.readModel.position);
  const backlog = deps.readModel.changesSince(from, scope);
  if (!backlog) {
    return sendError(reply, 410, 'Gone', `position ${from} is older than the changes still kept; list the scope, then watch from the list's position`);
  }
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write(`: watching ${scope ?? 'all scopes'} from ${from}\n\n`);
  const send = (change: Change): void => {
    // A replica behind `from` (the client came from one further ahead) still applies changes
    // the client has seen: skip them.
    if (change.position <= from || (scope !== undefined && change.scope !== scope)) return;
    raw.write(`id: ${change.position}\nevent: ${change.kind}\ndata: ${JSON.stringify(change)}\n\n`);
    if (raw.writableLength > MAX_BUFFERED_BYTES) {
      request.log.warn({ reqId: request.id, scope, position: change.position }, 'watch client too slow, closing its stream');
      raw.end();
    }
  };
  // Backlog and subscription in one synchronous step: no change falls between them.
  backlog.forEach(send);
  const unsubscribe = deps.readModel.onChange(send);
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  streams.add(raw);
  raw.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
    streams.delete(raw);
  });
  return undefined;
}
