import { performance } from 'node:perf_hooks';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { completeInfo, luidHex, luidName, type NetIfInformationInput, type NetLuid } from '@ifreg/domain';

/*
 * The watch benchmark's baseline: node:http with nothing else. It answers POST
 * /v1/messages as ifreg does (202 { messageId }, or with ?wait=true the outcome's position)
 * and writes the frame ifreg would write, serialised once, to the watchers of the message's
 * scope and to the all-scope ones, with the same headers and framing. No store, no
 * registrar, no projection: what is left is HTTP and the fan-out itself.
 */

interface Detection {
  readonly messageId: string;
  readonly scope: string;
  readonly providerId: string;
  readonly providerIfContext?: string;
  readonly luid: NetLuid;
  readonly info: NetIfInformationInput;
  readonly detectedAt: string;
}

const byScope = new Map<string, Set<ServerResponse>>();
const everyScope = new Set<ServerResponse>();
const nextIfIndex = new Map<string, number>();
let position = 0;

function watch(request: IncomingMessage, response: ServerResponse, scope: string | null): void {
  response.removeHeader('transfer-encoding');
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close', 'x-accel-buffering': 'no' });
  response.write(`: watching ${scope ?? 'all scopes'} from ${position}\n\n`);
  let set = everyScope;
  if (scope !== null) {
    set = byScope.get(scope) ?? new Set();
    byScope.set(scope, set);
  }
  set.add(response);
  response.once('close', () => set.delete(response));
}

function frameOf(message: Detection): Buffer {
  const ifIndex = (nextIfIndex.get(message.scope) ?? 0) + 1;
  nextIfIndex.set(message.scope, ifIndex);
  const info = completeInfo(message.info);
  const data = {
    ifIndex,
    luid: { ...message.luid, value: luidHex(message.luid), name: luidName(message.luid) },
    providerId: message.providerId,
    providerIfContext: message.providerIfContext ?? '',
    info: info.ok ? info.value : message.info,
    epoch: 0,
    registeredAt: message.detectedAt,
    registeredPosition: ++position,
  };
  const change = { position, scope: message.scope, kind: 'registered', data };
  return Buffer.from(`id: ${position}\nevent: registered\ndata: ${JSON.stringify(change)}\n\n`);
}

function post(request: IncomingMessage, response: ServerResponse, wait: boolean): void {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => (body += chunk));
  request.on('end', () => {
    const message = JSON.parse(body) as Detection;
    const frame = frameOf(message);
    const answer = JSON.stringify(wait ? { type: 'InterfaceRegistered', scope: message.scope, causationId: message.messageId, position } : { messageId: message.messageId });
    response.writeHead(wait ? 200 : 202, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
    response.end(answer);
    for (const watcher of byScope.get(message.scope) ?? []) watcher.write(frame);
    for (const watcher of everyScope) watcher.write(frame);
  });
}

/**
 * GET /v1/ticks?rate=N&count=M: M frames at N per second, each stamped with the time it was
 * written (epoch ms): the pipeline benchmark's floor of one event's SSE write.
 */
function ticks(response: ServerResponse, rate: number, count: number): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close', 'x-accel-buffering': 'no' });
  const started = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.min(count, Math.floor((rate * (performance.now() - started)) / 1000));
    for (; sent < due; sent++) response.write(`event: tick\ndata: {"seq":${sent},"at":${performance.timeOrigin + performance.now()}}\n\n`);
    if (sent >= count) {
      clearInterval(timer);
      response.end();
    }
  }, 5);
  response.once('close', () => clearInterval(timer));
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method === 'GET' && url.pathname === '/v1/ticks') return ticks(response, Number(url.searchParams.get('rate')), Number(url.searchParams.get('count')));
  if (request.method === 'GET' && url.pathname === '/v1/watch') return watch(request, response, url.searchParams.get('scope'));
  if (request.method === 'POST' && url.pathname === '/v1/messages') return post(request, response, url.searchParams.get('wait') === 'true');
  response.writeHead(404).end();
});

server.listen(Number(process.env['BENCH_PORT'] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(JSON.stringify({ msg: 'bare watch server listening', url: `http://127.0.0.1:${port}` }));
});
const stop = (): void => {
  for (const watcher of [...everyScope, ...[...byScope.values()].flatMap((s) => [...s])]) watcher.destroy();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
