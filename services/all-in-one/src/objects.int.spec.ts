import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ObjectServer, WebSocketObjectChannel, providerStreamPath, type ObjectSet } from '@ifreg/agent-sdk';
import { createLogger } from '@ifreg/platform';
import { waitForValue } from '@ifreg/testing';
import { loadConfig } from './config';
import { startAllInOne, type RunningAllInOne } from './start';

/*
 * Interface objects through the all-in-one, over real sockets: providers hold a WebSocket to
 * it (the SDK's channel, or a raw one that misbehaves), callers GET and PUT over HTTP; sets are
 * recorded by the registrar and shown in the interface's history. The host agent answers
 * queries about this host's interfaces and refuses sets while they are off.
 */

const log = createLogger({ name: 'objects-int', level: process.env['LOG_LEVEL'] ?? 'silent' });
const TOKEN = 'objects-test-token-0123456789';

async function call(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}
const put = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(base, path, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });


const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-objects-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
});

async function start(env: Record<string, string> = {}): Promise<RunningAllInOne> {
  const running = await startAllInOne(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: join(dir, 'ifreg.db'), IFREG_REGISTER_HOST: 'false', IFREG_LOG_LEVEL: 'silent', ...env }));
  closers.push(() => running.stop());
  return running;
}

/** Registers one interface for `providerId` with `context`; answers its ifIndex. */
async function register(base: string, scope: string, providerId: string, netLuidIndex: number, context: string, headers: Record<string, string> = {}): Promise<number> {
  const message = {
    type: 'InterfaceDetected',
    schemaVersion: 1,
    messageId: randomUUID(),
    scope,
    providerId,
    luid: { ifType: 6, netLuidIndex },
    providerIfContext: context,
    info: { friendlyName: `eth${netLuidIndex}` },
  };
  const { status, body } = await call(base, '/v1/messages?wait=true', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(message) });
  expect(status).toBe(200);
  return body.ifIndex as number;
}

/** A provider over the SDK's WebSocket channel: an alias it keeps, admin status, sets it saw. */
async function sdkProvider(base: string, scope: string, providerId: string, token?: string) {
  const sets: ObjectSet[] = [];
  const state = { alias: 'initial', admin: 'up' };
  const server = new ObjectServer({
    scope,
    providerId,
    log,
    channel: new WebSocketObjectChannel({ url: base, scope, providerId, log, ...(token ? { token } : {}) }),
    handlers: {
      queryObject: (q) =>
        q.oid.name === 'OID_GEN_ALIAS'
          ? { status: 'SUCCESS', value: `${state.alias} (${q.providerIfContext})` }
          : q.oid.name === 'OID_GEN_ADMIN_STATUS'
            ? { status: 'SUCCESS', value: state.admin }
            : { status: 'NOT_SUPPORTED', reason: 'only alias and admin status here' },
      setObject: (set) => {
        sets.push(set);
        if (set.oid.name === 'OID_GEN_ALIAS') state.alias = String(set.value);
        else state.admin = String(set.value);
        return { status: 'SUCCESS', value: set.value };
      },
    },
  });
  await server.start();
  closers.push(() => server.stop());
  return { sets, state };
}

/** A raw WebSocket "provider": resolves once attached; `onRequest` decides what it sends back. */
async function rawProvider(base: string, scope: string, providerId: string, onRequest: (request: any, socket: WebSocket) => void, headers: Record<string, string> = {}) {
  const socket = new WebSocket(`${base.replace('http', 'ws')}${providerStreamPath(scope, providerId)}`, { headers });
  const frames: any[] = [];
  closers.push(() => void socket.close());
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(Buffer.from(data as Buffer).toString());
      frames.push(frame);
      if (frame.type === 'ProviderAttached') resolve();
      if (frame.type === 'ObjectRequest') onRequest(frame, socket);
    });
    socket.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.on('error', reject);
  });
  return frames;
}

describe('interface objects over HTTP, providers on WebSockets', () => {
  it('answers queries by ifIndex and LUID, OIDs by name and number, with the ProviderIfContext handed back', async () => {
    const { url } = await start();
    const ifIndex = await register(url, 'host-o1', 'sdk', 1, 'ctx-eth1');
    await sdkProvider(url, 'host-o1', 'sdk');
    const byName = await call(url, `/v1/scopes/host-o1/interfaces/${ifIndex}/objects/OID_GEN_ALIAS`);
    expect(byName).toEqual({
      status: 200,
      body: {
        scope: 'host-o1',
        ifIndex,
        luid: { ifType: 6, netLuidIndex: 1, value: '0x0006000001000000', name: 'ethernet_1' },
        providerId: 'sdk',
        oid: { value: 0x00010289, hex: '0x00010289', name: 'OID_GEN_ALIAS' },
        status: 'SUCCESS',
        value: 'initial (ctx-eth1)',
      },
    });
    expect((await call(url, '/v1/scopes/host-o1/luids/ethernet_1/objects/0x00010288')).body).toMatchObject({ status: 'SUCCESS', value: 'up' });
    expect((await call(url, `/v1/scopes/host-o1/interfaces/${ifIndex}/objects/66185`)).body).toMatchObject({ oid: { name: 'OID_GEN_ALIAS' }, status: 'SUCCESS' });
    expect((await call(url, `/v1/scopes/host-o1/interfaces/${ifIndex}/objects/0x0D010101`)).body).toMatchObject({ oid: { hex: '0x0D010101' }, status: 'NOT_SUPPORTED', reason: 'only alias and admin status here' });
    const openapi = await call(url, '/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/scopes/{scope}/interfaces/{ifIndex}/objects/{oid}', '/v1/scopes/{scope}/luids/{luid}/objects/{oid}']),
    );
    expect(Object.keys(openapi.body.paths['/v1/scopes/{scope}/interfaces/{ifIndex}/objects/{oid}'])).toEqual(['get', 'put']);
  });

  it('answers 404 for an interface that is not registered and 400 with a reason for a bad OID or value', async () => {
    const { url } = await start();
    const ifIndex = await register(url, 'host-o2', 'sdk', 2, 'ctx');
    await sdkProvider(url, 'host-o2', 'sdk');
    const cases: [string, Promise<{ status: number; body: any }>, number, string][] = [
      ['unknown ifIndex', call(url, '/v1/scopes/host-o2/interfaces/999/objects/OID_GEN_ALIAS'), 404, 'ifIndex 999 is not registered in epoch 0 of scope host-o2'],
      ['unknown scope', call(url, '/v1/scopes/nowhere/interfaces/1/objects/OID_GEN_ALIAS'), 404, 'scope nowhere has no recorded events'],
      ['unknown OID name', call(url, `/v1/scopes/host-o2/interfaces/${ifIndex}/objects/OID_GEN_NOPE`), 400, 'unknown OID name OID_GEN_NOPE'],
      ['OID 0', call(url, `/v1/scopes/host-o2/interfaces/${ifIndex}/objects/0`), 400, 'is not an OID'],
      ['an admin status that is none', put(url, `/v1/scopes/host-o2/interfaces/${ifIndex}/objects/OID_GEN_ADMIN_STATUS`, { value: 'sideways', requestId: 'r-bad-1' }), 400, 'must be one of up, down, testing'],
      ['an alias with a newline', put(url, `/v1/scopes/host-o2/interfaces/${ifIndex}/objects/OID_GEN_ALIAS`, { value: 'a\nb', requestId: 'r-bad-2' }), 400, 'control characters'],
      ['no request id', put(url, `/v1/scopes/host-o2/interfaces/${ifIndex}/objects/OID_GEN_ALIAS`, { value: 'x' }), 400, 'requestId is required'],
      ['a body that is not JSON', put(url, `/v1/scopes/host-o2/interfaces/${ifIndex}/objects/OID_GEN_ALIAS`, '{"value":'), 400, 'not JSON'],
      ['an unknown field', put(url, `/v1/scopes/host-o2/interfaces/${ifIndex}/objects/OID_GEN_ALIAS`, { value: 'x', requestId: 'r', extra: 1 }), 400, 'extra is not a known field'],
    ];
    for (const [what, answer, status, reason] of cases) {
      const { status: got, body } = await answer;
      expect({ what, status: got, reason: String(body.reason).includes(reason) ? reason : body.reason }).toEqual({ what, status, reason });
    }
  });

  it('records a set once however often it is retried with its request id, and shows it in the interface’s history', async () => {
    const { url } = await start();
    const ifIndex = await register(url, 'host-o3', 'sdk', 3, 'ctx-3');
    const provider = await sdkProvider(url, 'host-o3', 'sdk');
    const path = `/v1/scopes/host-o3/interfaces/${ifIndex}/objects/OID_GEN_ALIAS`;
    const first = await put(url, path, { value: 'uplink to rack 7', requestId: 'set-1' });
    expect(first).toMatchObject({ status: 200, body: { status: 'SUCCESS', value: 'uplink to rack 7', requestId: 'set-1' } });
    // The history shows the answer once it is recorded; a retry after that is answered from the record.
    const history = () => call(url, '/v1/scopes/host-o3/luids/ethernet_3/history').then((r) => r.body.items as any[]);
    await waitForValue(history, (items) => items.some((i) => i.type === 'InterfaceObjectSetAnswered'), 5000, 'the recorded answer');
    const retry = await put(url, path, { value: 'uplink to rack 7', requestId: 'set-1' });
    expect(retry).toMatchObject({ status: 200, body: { status: 'SUCCESS', requestId: 'set-1', repeated: true } });
    expect(provider.sets).toHaveLength(1);
    expect(provider.sets[0]).toMatchObject({ value: 'uplink to rack 7', setRequestId: 'set-1', providerIfContext: 'ctx-3', caller: 'address:127.0.0.1' });
    const items = await history();
    expect(items.map((i) => i.type)).toEqual(['InterfaceRegistered', 'InterfaceObjectSetRequested', 'InterfaceObjectSetAnswered']);
    expect(items[2].event).toMatchObject({ oid: { value: 0x00010289, name: 'OID_GEN_ALIAS' }, value: 'uplink to rack 7', caller: 'address:127.0.0.1', requestId: 'set-1', status: 'SUCCESS' });
    // the same request id for another value is refused
    expect(await put(url, path, { value: 'something else', requestId: 'set-1' })).toMatchObject({ status: 409, body: { error: 'RequestIdReused' } });
    // and the query shows the alias set
    expect((await call(url, path)).body.value).toBe('uplink to rack 7 (ctx-3)');
  });

  it('answers 504 within the bound when the provider never answers, and refuses replies for another context or request id', async () => {
    const { url } = await start({ IFREG_OBJECT_TIMEOUT_MS: '1000' });
    const silentIndex = await register(url, 'host-o4', 'silent', 4, 'ctx-4');
    const wrongIndex = await register(url, 'host-o4', 'wrong', 5, 'ctx-5');
    await rawProvider(url, 'host-o4', 'silent', () => undefined);
    const frames = await rawProvider(url, 'host-o4', 'wrong', (request, socket) => {
      const reply = { type: 'ObjectReply', schemaVersion: 1, requestId: request.requestId, scope: request.scope, providerId: request.providerId, providerIfContext: 'ctx-other', oid: request.oid.value, status: 'SUCCESS', value: 'x' };
      socket.send(JSON.stringify(reply));
      socket.send(JSON.stringify({ ...reply, providerIfContext: request.providerIfContext, requestId: randomUUID() }));
    });
    const started = Date.now();
    const silent = await call(url, `/v1/scopes/host-o4/interfaces/${silentIndex}/objects/OID_GEN_OPERATIONAL_STATUS`);
    process.stderr.write(`[objects] a silent provider over HTTP got its 504 after ${Date.now() - started} ms (bound 1000)\n`);
    expect(silent).toEqual({ status: 504, body: { error: 'ProviderTimeout', reason: 'provider silent of scope host-o4 did not answer the query of OID_GEN_OPERATIONAL_STATUS within 1000 ms.' } });
    const wrong = await call(url, `/v1/scopes/host-o4/interfaces/${wrongIndex}/objects/OID_GEN_OPERATIONAL_STATUS?timeoutMs=800`);
    expect(wrong.status).toBe(504);
    const refusals = frames.filter((f) => f.type === 'ReplyRefused').map((f) => f.reason);
    expect(refusals).toEqual([expect.stringContaining('reply for ProviderIfContext "ctx-other", but request'), expect.stringContaining('is waiting here')]);
    // A provider that is not connected at all: 504 at once, saying so.
    const noneIndex = await register(url, 'host-o4', 'absent', 6, 'ctx-6');
    expect(await call(url, `/v1/scopes/host-o4/interfaces/${noneIndex}/objects/OID_GEN_ALIAS`)).toMatchObject({ status: 504, body: { reason: expect.stringContaining('not connected to this service') } });
  });

  it('puts sets and provider streams under the token rules', async () => {
    const { url } = await start({ IFREG_TOKEN: TOKEN, IFREG_HTTP_HOST: '127.0.0.1' });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const ifIndex = await register(url, 'host-o5', 'sdk', 7, 'ctx-7', auth);
    await expect(rawProvider(url, 'host-o5', 'sdk', () => undefined)).rejects.toThrow('HTTP 401');
    const provider = await sdkProvider(url, 'host-o5', 'sdk', TOKEN);
    const path = `/v1/scopes/host-o5/interfaces/${ifIndex}/objects/OID_GEN_ADMIN_STATUS`;
    expect(await put(url, path, { value: 'down', requestId: 'tok-1' })).toMatchObject({ status: 401 });
    expect(await put(url, path, { value: 2, requestId: 'tok-1' }, auth)).toMatchObject({ status: 200, body: { status: 'SUCCESS', value: 'down' } });
    expect(provider.sets[0]?.caller).toMatch(/^token:[0-9a-f]{12} address:127\.0\.0\.1$/);
    expect((await call(url, path)).body).toMatchObject({ status: 'SUCCESS', value: 'down' });
  });
});

describe('the all-in-one’s host agent', () => {
  it('answers queries about this host’s interfaces, and refuses sets while they are off', async () => {
    const { url } = await start({ IFREG_REGISTER_HOST: 'true', IFREG_HOST_SCOPE: 'local' });
    const lo = (await call(url, '/v1/scopes/local/names/lo')).body;
    const status = await call(url, `/v1/scopes/local/interfaces/${lo.ifIndex}/objects/OID_GEN_OPERATIONAL_STATUS`);
    expect(status).toMatchObject({ status: 200, body: { status: 'SUCCESS', value: expect.stringMatching(/^(up|unknown)$/) } });
    const counters = await call(url, `/v1/scopes/local/interfaces/${lo.ifIndex}/objects/OID_GEN_STATISTICS`);
    expect(counters.body).toMatchObject({ status: 'SUCCESS', value: { inOctets: expect.any(Number), outPackets: expect.any(Number) } });
    const set = await put(url, `/v1/scopes/local/interfaces/${lo.ifIndex}/objects/OID_GEN_ALIAS`, { value: 'not applied', requestId: 'host-1' });
    expect(set).toMatchObject({ status: 200, body: { status: 'NOT_ACCEPTED', reason: expect.stringContaining('IFREG_HOST_OBJECT_SETS=true') } });
  });
});
