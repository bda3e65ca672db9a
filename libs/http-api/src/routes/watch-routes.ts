import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpApiDeps } from '../deps';
import type { HttpApp } from '../app';
import { errorSchema, sendError } from '../errors';
import { Scope, s } from '../schema';
import { WatchHub } from '../watch/watch-hub';
import { registerWatchMetrics } from '../watch/watch-metrics';
import { defaultWatchSettings } from '../watch/watch-settings';

type WatchRequest = FastifyRequest<{ Querystring: { scope?: string; from?: number } }>;

/**
 * GET /v1/watch: server-sent events of the changes of one scope (or all), `id:` = store
 * position, resumable from Last-Event-ID or `from`. A position older than the kept history
 * answers 410: relist, then watch from the list's position.
 */
export function registerWatchRoutes(app: HttpApp, deps: HttpApiDeps): void {
  const settings = deps.watch ?? defaultWatchSettings;
  const hub = new WatchHub(settings, deps.log.child({ component: 'watch' }));
  const unsubscribe = deps.readModel.onChange((change) => hub.publish(change));
  const metrics = registerWatchMetrics(deps.metrics, hub);
  // An open stream would keep the server from closing: end them all when it closes.
  app.addHook('preClose', (done) => {
    unsubscribe();
    hub.close();
    done();
  });
  app.get(
    '/v1/watch',
    {
      schema: {
        tags: ['interfaces'],
        summary: 'Server-sent events of changes: registered, deregistered, failed, reset',
        querystring: s.object({
          scope: { ...Scope, description: 'one scope; all scopes when absent' },
          from: s.integer({ minimum: 0, description: 'deliver changes after this position (Last-Event-ID wins)' }),
        }),
        headers: s.object({ 'last-event-id': s.string({ pattern: '^[0-9]{1,15}$' }) }, [], { additionalProperties: true }),
        response: { 410: errorSchema, 503: errorSchema },
      },
    },
    (request: WatchRequest, reply) => {
      if (hub.full) {
        metrics.refused();
        void reply.header('retry-after', '5');
        return sendError(reply, 503, 'TooManyWatchers', `this replica already serves ${hub.size} watch streams, its limit (IFREG_WATCH_MAX_STREAMS); retry later or on another replica`);
      }
      return watch(deps, hub, request, reply);
    },
  );
}

function watch(deps: HttpApiDeps, hub: WatchHub, request: WatchRequest, reply: FastifyReply): FastifyReply | undefined {
  const { scope } = request.query;
  const lastEventId = request.headers['last-event-id'];
  const from = typeof lastEventId === 'string' ? Number(lastEventId) : (request.query.from ?? deps.readModel.position);
  const backlog = deps.readModel.changesSince(from, scope);
  if (!backlog) {
    return sendError(reply, 410, 'Gone', `position ${from} is older than the changes still kept; list the scope, then watch from the list's position`);
  }
  reply.hijack();
  const raw = reply.raw;
  // No chunked encoding: the body ends when the connection does, so every watcher of a change
  // is sent exactly the same bytes, with no chunk header of its own.
  raw.removeHeader('transfer-encoding');
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close', 'x-accel-buffering': 'no' });
  raw.write(`: watching ${scope ?? 'all scopes'} from ${from}\n\n`);
  // Backlog and subscription in one synchronous step: no change falls between them.
  hub.open(raw, scope, from, backlog);
  return undefined;
}
