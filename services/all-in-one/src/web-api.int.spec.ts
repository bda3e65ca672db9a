import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config';
import { startAllInOne, type RunningAllInOne } from './start';

/** What the web page asks of the API (issue 17), over a real socket: scope pages, one LUID's history, the page's files. */

const detection = (scope: string, netLuidIndex: number) => ({
  type: 'InterfaceDetected', schemaVersion: 1, messageId: randomUUID(), scope, providerId: 'api-test',
  luid: { ifType: 6, netLuidIndex }, info: { friendlyName: `eth${netLuidIndex}` },
});
const removal = (scope: string, netLuidIndex: number) => ({ type: 'InterfaceRemoved', schemaVersion: 1, messageId: randomUUID(), scope, providerId: 'api-test', luid: { ifType: 6, netLuidIndex } });

describe('the API of the web page', () => {
  let dir: string;
  let running: RunningAllInOne;
  let base: string;
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
  };
  const post = async (message: unknown) => {
    const response = await fetch(`${base}/v1/messages?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
    return response.json() as Promise<any>;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ifreg-web-api-'));
    running = await startAllInOne(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: join(dir, 'ifreg.db'), IFREG_LOG_LEVEL: 'silent', IFREG_REGISTER_HOST: 'false' }));
    base = running.url;
  });
  afterAll(async () => {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages scopes by name, filters them by part of the name, and answers one exact scope', async () => {
    for (const scope of ['rack-b2', 'rack-a1', 'local', 'Rack-c3']) await post(detection(scope, 1));
    const all = await get('/v1/scopes');
    expect(all.body.items.map((s: any) => s.scope)).toEqual(['local', 'rack-a1', 'rack-b2', 'Rack-c3']);
    expect(all.body.total).toBe(4);
    const first = await get('/v1/scopes?name=RACK&limit=2');
    expect(first.body).toEqual({ position: expect.any(Number), total: 3, next: 'rack-b2', items: [expect.objectContaining({ scope: 'rack-a1', interfaceCount: 1 }), expect.objectContaining({ scope: 'rack-b2' })] });
    const second = await get(`/v1/scopes?name=RACK&limit=2&after=${first.body.next}`);
    expect(second.body.items.map((s: any) => s.scope)).toEqual(['Rack-c3']);
    expect(second.body.next).toBeUndefined();
    expect((await get('/v1/scopes?scope=local')).body.items.map((s: any) => s.scope)).toEqual(['local']);
    expect((await get('/v1/scopes?scope=nowhere')).body).toEqual({ position: expect.any(Number), items: [], total: 0 });
    expect((await get('/v1/scopes?limit=0')).status).toBe(400);
  });

  it('answers one LUID’s history with positions, paged, and the list as of each position', async () => {
    const first = await post(detection('hist', 7));
    await post(detection('hist', 8));
    const gone = await post(removal('hist', 7));
    const back = await post(detection('hist', 7));
    const page = await get('/v1/scopes/hist/luids/ethernet_7/history?limit=2');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({
      scope: 'hist', complete: true, next: gone.position,
      luid: { ifType: 6, netLuidIndex: 7, value: '0x0006000007000000', name: 'ethernet_7' },
      items: [
        { position: first.position, type: 'InterfaceRegistered', event: { ifIndex: 1 } },
        { position: gone.position, type: 'InterfaceDeregistered', event: { ifIndex: 1 } },
      ],
    });
    const rest = await get(`/v1/scopes/hist/luids/0x0006000007000000/history?after=${page.body.next}`);
    expect(rest.body.items.map((i: any) => [i.position, i.type, i.event.ifIndex])).toEqual([[back.position, 'InterfaceRegistered', 3]]);
    expect(rest.body.next).toBeUndefined();
    const asOf = await get(`/v1/scopes/hist/interfaces?asOf=${gone.position}`);
    expect(asOf.body.items.map((i: any) => i.luid.name)).toEqual(['ethernet_8']);
    expect((await get('/v1/scopes/hist/luids/ethernet_9/history')).body).toMatchObject({ items: [], complete: true });
    expect(await get('/v1/scopes/hist/luids/nonsense/history')).toMatchObject({ status: 400, body: { error: 'InvalidLuid' } });
    expect(await get('/v1/scopes/nowhere/luids/ethernet_7/history')).toMatchObject({ status: 404, body: { error: 'ScopeNotFound' } });
  });

  it('describes the new parameters and endpoint in the OpenAPI document', async () => {
    const { body } = await get('/openapi.json');
    const params = (path: string) => (body.paths[path].get.parameters as any[]).map((p) => p.name);
    expect(params('/v1/scopes')).toEqual(expect.arrayContaining(['name', 'scope', 'after', 'limit', 'minPosition']));
    expect(params('/v1/scopes/{scope}/luids/{luid}/history')).toEqual(expect.arrayContaining(['scope', 'luid', 'after', 'limit']));
    expect(Object.keys(body.paths)).not.toContain('/');
  });

  it('serves the page and its files from itself, with a policy that allows nothing from elsewhere', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const assets = [...String(page.body).matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining(['/ui/app.js', '/ui/style.css', '/ui/favicon.svg']));
    for (const asset of ['/ui/app.js', '/ui/rows.js', '/ui/style.css']) {
      const file = await get(asset);
      expect({ asset, status: file.status }).toEqual({ asset, status: 200 });
      // Nothing in them names another host.
      expect(String(file.body)).not.toMatch(/https?:\/\//);
    }
    const etag = page.headers.get('etag') ?? '';
    expect((await fetch(`${base}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect(await get('/ui/nothing.js')).toMatchObject({ status: 404, body: { error: 'NotFound' } });
    expect((await get('/ui/..%2Fpackage.json')).status).toBe(404);
  });
});
