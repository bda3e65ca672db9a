import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SqliteEventStore } from '@ifreg/event-store';
import { OutcomeWaiter } from '@ifreg/messaging';
import { type OutboundMessage } from '@ifreg/ports';
import { ConfigError, createLogger, createMetricsRegistry, parseConfig, type Logger } from '@ifreg/platform';
import { ReadModelService, RebuildTracker } from '@ifreg/query';
import { buildHttpApi, buildOpsServer, type HttpApp } from './app';
import { httpSecurityEnvSchema, httpSecuritySettings, type HttpLimits } from './security';

const TOKEN = 'the-write-token-5b1f0c9a7e';

const detection = JSON.stringify({
  type: 'InterfaceDetected', schemaVersion: 1, messageId: '6f1c2b7e-0d4e-4c1a-9a53-0c0e3a7d2b11', scope: 'host-a', providerId: 'agent-linux',
  luid: { ifType: 6, netLuidIndex: 32768 }, info: { friendlyName: 'eth0' },
});
const bootEpoch = JSON.stringify({ type: 'BootEpoch', schemaVersion: 1, messageId: 'b7a4e3f0-1111-4c1a-9a53-0c0e3a7d2b11', scope: 'host-a', bootId: 'second-boot' });

interface Api {
  readonly app: HttpApp;
  readonly sent: OutboundMessage[];
  readonly logs: () => string;
}

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** The HTTP API of a process with ingest and rebuild, on an empty store; its log lines kept in memory at trace. */
async function api(token: string | undefined, limits?: HttpLimits): Promise<Api> {
  const chunks: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => (chunks.push(chunk.toString('utf8')), done()) });
  const log: Logger = createLogger({ name: 'http-security-spec', level: 'trace', destination });
  const store = new SqliteEventStore({ path: ':memory:' });
  const readModel = new ReadModelService(store, log);
  await readModel.start();
  const sent: OutboundMessage[] = [];
  const waiter = new OutcomeWaiter({ onOutcome: () => () => undefined });
  const app = await buildHttpApi({
    readModel,
    store,
    ingest: { producer: { send: async (messages) => void sent.push(...messages) }, waiter },
    rebuild: new RebuildTracker(readModel, log),
    metrics: createMetricsRegistry('http-security-spec'),
    log,
    token,
    maxWaitMs: 1000,
    ...(limits ? { limits } : {}),
  });
  opened.push(async () => {
    await app.close();
    waiter.close();
    await readModel.stop();
    await store.close();
  });
  return { app, sent, logs: () => chunks.join('') };
}

const json = { 'content-type': 'application/json' };

describe('writes need the configured token (one guard for every write)', () => {
  const writes = [
    { name: 'ingest of a detection', method: 'POST', url: '/v1/messages', payload: detection, accepted: 202 },
    { name: 'a BootEpoch', method: 'POST', url: '/v1/messages', payload: bootEpoch, accepted: 202 },
    { name: 'admin rebuild', method: 'POST', url: '/v1/admin/rebuild', payload: undefined, accepted: 202 },
  ] as const;

  it.each(writes)('$name: 401 without a token or with a wrong one, accepted with the right one', async ({ method, url, payload, accepted }) => {
    const { app, sent } = await api(TOKEN);
    const send = (authorization?: string) =>
      app.inject({ method, url, ...(payload ? { payload, headers: { ...json, ...(authorization ? { authorization } : {}) } } : authorization ? { headers: { authorization } } : {}) });

    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
      const refused = await send(authorization);
      expect({ authorization, status: refused.statusCode, body: refused.json<unknown>() }).toEqual({
        authorization,
        status: 401,
        body: { error: 'Unauthorized', reason: 'missing or wrong bearer token' },
      });
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="ifreg"');
    }
    expect(sent).toEqual([]);

    expect((await send(`Bearer ${TOKEN}`)).statusCode).toBe(accepted);
    expect((await send(`bearer ${TOKEN}`)).statusCode).toBe(accepted); // the scheme is case-insensitive (RFC 7235)
    if (url === '/v1/messages') expect(sent.map((m) => m.value)).toEqual([payload, payload]);
  });

  it('refuses any other write method and path the same way, before routing', async () => {
    const { app } = await api(TOKEN);
    for (const method of ['PUT', 'DELETE', 'PATCH', 'POST'] as const) {
      expect((await app.inject({ method, url: '/v1/scopes/host-a/interfaces/1' })).statusCode).toBe(401);
    }
    // With the token, an unknown write route is a plain 404.
    expect((await app.inject({ method: 'DELETE', url: '/v1/scopes/host-a', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(404);
  });

  it('reads stay open without a token', async () => {
    const { app } = await api(TOKEN);
    for (const url of ['/v1/scopes', '/v1/admin/rebuild', '/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect({ url, status: (await app.inject({ method: 'GET', url })).statusCode }).toEqual({ url, status: 200 });
    }
    expect((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
  });

  it('without a token, writes come from loopback only (403 from elsewhere)', async () => {
    const { app, sent } = await api(undefined);
    const from = (remoteAddress: string) => app.inject({ method: 'POST', url: '/v1/messages', payload: detection, headers: json, remoteAddress });
    for (const address of ['10.0.0.7', '192.168.1.2', '::ffff:10.0.0.7', '2001:db8::1']) {
      const refused = await from(address);
      expect({ address, status: refused.statusCode, body: refused.json<unknown>() }).toEqual({
        address,
        status: 403,
        body: { error: 'Forbidden', reason: 'writes are accepted from loopback only when no token is configured' },
      });
    }
    expect((await app.inject({ method: 'POST', url: '/v1/admin/rebuild', remoteAddress: '10.0.0.7' })).statusCode).toBe(403);
    expect(sent).toEqual([]);
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect((await from(address)).statusCode).toBe(202);
    expect((await app.inject({ method: 'GET', url: '/v1/scopes', remoteAddress: '10.0.0.7' })).statusCode).toBe(200);
  });

  it('the ops server (registrar, agent) has no writes and refuses them from off the host', async () => {
    const ops = await buildOpsServer(createLogger({ name: 'ops', level: 'silent' }), { metrics: createMetricsRegistry('ops'), isReady: () => true });
    opened.push(() => ops.close());
    expect((await ops.inject({ method: 'POST', url: '/healthz', remoteAddress: '10.0.0.7' })).statusCode).toBe(403);
    expect((await ops.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.0.0.7' })).statusCode).toBe(200);
  });

  it('never writes the token to the log, whatever happens to the request', async () => {
    const { app, logs } = await api(TOKEN);
    await app.inject({ method: 'POST', url: '/v1/messages', payload: detection, headers: { ...json, authorization: `Bearer ${TOKEN}` } });
    await app.inject({ method: 'POST', url: '/v1/messages', payload: '{not json', headers: { ...json, authorization: `Bearer ${TOKEN}` } });
    await app.inject({ method: 'POST', url: '/v1/messages', payload: detection, headers: { ...json, authorization: `Bearer ${TOKEN}-wrong` } });
    await app.inject({ method: 'GET', url: '/v1/scopes/bad scope!/interfaces', headers: { authorization: `Bearer ${TOKEN}` } });
    app.log.info({ headers: { authorization: `Bearer ${TOKEN}` } }, 'a careless line');
    expect(logs()).toContain('a careless line'); // the capture works at all
    expect(logs()).not.toContain(TOKEN);
  });
});

/** One real HTTP request to a listening server (fetch sets its own headers; this one sends what it is told). */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; chunked?: boolean }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    if (options.body !== undefined && options.chunked) {
      // No Content-Length: the limit must hold while the body streams in.
      const half = Math.floor(options.body.length / 2);
      request.write(options.body.slice(0, half));
      setTimeout(() => request.end(options.body?.slice(half)), 20);
    } else {
      request.end(options.body);
    }
  });
}

describe('size limits, over real HTTP', () => {
  const limits: HttpLimits = { bodyLimit: 2048, maxHeaderSize: 4096 };
  let base: string;
  let sent: OutboundMessage[];

  beforeEach(async () => {
    const started = await api(TOKEN, limits);
    sent = started.sent;
    base = await started.app.listen({ port: 0, host: '127.0.0.1' });
  });

  // The detection followed by white space: still one valid message, of exactly `bytes` bytes.
  const padded = (bytes: number): string => detection + ' '.repeat(bytes - detection.length);
  const auth = { ...json, authorization: `Bearer ${TOKEN}` };

  it('a body over IFREG_HTTP_BODY_LIMIT is refused with 413 and a JSON reason; one at the limit is taken', async () => {
    const over = padded(limits.bodyLimit + 1);
    expect(Buffer.byteLength(over)).toBe(limits.bodyLimit + 1);
    const refused = await send(`${base}/v1/messages`, { method: 'POST', headers: auth, body: over });
    expect(refused).toEqual({ status: 413, body: JSON.stringify({ error: 'PayloadTooLarge', reason: 'the request body is larger than 2048 bytes' }) });
    const chunked = await send(`${base}/v1/messages`, { method: 'POST', headers: auth, body: padded(limits.bodyLimit * 4), chunked: true });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: 'PayloadTooLarge' });
    expect(sent).toEqual([]);

    const atLimit = padded(limits.bodyLimit);
    expect((await send(`${base}/v1/messages`, { method: 'POST', headers: auth, body: atLimit })).status).toBe(202);
    expect(sent).toHaveLength(1);
  });

  it('an unauthorised write is refused before its body is read (401, not 413)', async () => {
    expect((await send(`${base}/v1/messages`, { method: 'POST', headers: json, body: padded(limits.bodyLimit * 4) })).status).toBe(401);
  });

  it('headers over IFREG_HTTP_MAX_HEADER_SIZE get 431 with a JSON reason; smaller ones pass', async () => {
    const refused = await send(`${base}/v1/scopes`, { headers: { 'x-padding': 'y'.repeat(limits.maxHeaderSize + 100) } });
    expect(refused).toEqual({
      status: 431,
      body: JSON.stringify({ error: 'RequestHeaderFieldsTooLarge', reason: 'the request line and headers are larger than 4096 bytes' }),
    });
    expect((await send(`${base}/v1/scopes`, { headers: { 'x-padding': 'y'.repeat(limits.maxHeaderSize - 500) } })).status).toBe(200);
    // With the default limit (16 KiB) the same 4.1 KB header is fine: the setting is what decides.
    const defaults = await api(TOKEN);
    const other = await defaults.app.listen({ port: 0, host: '127.0.0.1' });
    expect((await send(`${other}/v1/scopes`, { headers: { 'x-padding': 'y'.repeat(limits.maxHeaderSize + 100) } })).status).toBe(200);
  });
});

describe('the HTTP security settings from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ifreg-http-sec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const load = (env: Record<string, string>) => parseConfig(httpSecurityEnvSchema.transform(httpSecuritySettings), env);

  it('defaults: no token, 64 KiB bodies, 16 KiB headers', () => {
    expect(load({})).toEqual({ token: undefined, limits: { bodyLimit: 65536, maxHeaderSize: 16384 } });
    expect(load({ IFREG_HTTP_BODY_LIMIT: '1048576', IFREG_HTTP_MAX_HEADER_SIZE: '8192' }).limits).toEqual({ bodyLimit: 1048576, maxHeaderSize: 8192 });
  });

  it('the token from IFREG_TOKEN or from the file IFREG_TOKEN_FILE names', () => {
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    expect(load({ IFREG_TOKEN: TOKEN }).token).toBe(TOKEN);
    expect(load({ IFREG_TOKEN_FILE: join(dir, 'token') }).token).toBe(TOKEN);
  });

  it.each([
    [{ IFREG_TOKEN: 'short' }, 'IFREG_TOKEN: must be at least 16 characters'],
    [{ IFREG_TOKEN: TOKEN, IFREG_TOKEN_FILE: '/run/secrets/token' }, 'IFREG_TOKEN: set IFREG_TOKEN or IFREG_TOKEN_FILE, not both'],
    [{ IFREG_TOKEN_FILE: '/nonexistent/token' }, 'IFREG_TOKEN_FILE: cannot read /nonexistent/token (ENOENT)'],
    [{ IFREG_TOKEN: 'a token with spaces in it' }, 'IFREG_TOKEN: must not contain white space'],
    [{ IFREG_HTTP_BODY_LIMIT: '10' }, 'IFREG_HTTP_BODY_LIMIT: Too small: expected number to be >=1024'],
    [{ IFREG_HTTP_MAX_HEADER_SIZE: 'lots' }, 'IFREG_HTTP_MAX_HEADER_SIZE: Invalid input: expected number, received NaN'],
  ])('%j is refused: %s', (env, problem) => {
    let error: unknown;
    try {
      load(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([problem]);
  });
});
