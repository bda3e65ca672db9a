import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from './config';
import { startAllInOne, type RunningAllInOne } from './start';

const detection = (scope: string, netLuidIndex: number, friendlyName = `eth-${netLuidIndex}`) => ({
  type: 'InterfaceDetected',
  schemaVersion: 1,
  messageId: randomUUID(),
  scope,
  providerId: 'test-agent',
  luid: { ifType: 6, netLuidIndex },
  providerIfContext: 'ctx',
  info: { friendlyName, physAddress: '02:42:ac:11:00:02', accessType: 'broadcast', mediaType: 0, physicalMediumType: 14, connectorPresent: true, flags: 1 },
  detectedAt: '2026-11-24T12:00:00.000Z',
});

async function call(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

const post = (base: string, body: unknown, query = '?wait=true', headers: Record<string, string> = {}) =>
  call(base, `/v1/messages${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('the all-in-one service on embedded defaults', () => {
  let dir: string;
  let running: RunningAllInOne | undefined;
  const start = async (env: Record<string, string> = {}) => {
    running = await startAllInOne(
      loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: join(dir, 'ifreg.db'), IFREG_LOG_LEVEL: 'silent', ...env }),
    );
    return running.url;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ifreg-aio-'));
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists this host’s real interfaces in scope local at start', async () => {
    const base = await start();
    const { status, body } = await call(base, '/v1/scopes/local/interfaces');
    expect(status).toBe(200);
    expect(body.items.map((i: any) => i.info.friendlyName).sort()).toEqual(readdirSync('/sys/class/net').sort());
    for (const item of body.items) {
      expect(item.ifIndex).toBeGreaterThanOrEqual(1);
      expect(item.luid.value).toMatch(/^0x[0-9a-f]{16}$/);
    }
    expect(body.items.find((i: any) => i.info.friendlyName === 'lo').luid.name).toMatch(/^loopback_\d+$/);
  });

  it('answers a detection with its ifIndex and shows it in the list (read-your-writes)', async () => {
    const base = await start({ IFREG_REGISTER_HOST: 'false' });
    const first = await post(base, detection('host-a', 32768));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ type: 'InterfaceRegistered', ifIndex: 1, scope: 'host-a' });
    const second = await post(base, detection('host-a', 32769));
    expect(second.body.ifIndex).toBe(2);

    const list = await call(base, `/v1/scopes/host-a/interfaces?minPosition=${second.body.position}`);
    expect(list.body.items.map((i: any) => i.ifIndex)).toEqual([1, 2]);
    const byLuid = await call(base, '/v1/scopes/host-a/luids/ethernet_32769');
    expect(byLuid.body).toMatchObject({ ifIndex: 2, luid: { value: '0x0006008001000000', name: 'ethernet_32769' } });
    const byIndex = await call(base, '/v1/scopes/host-a/interfaces/1');
    expect(byIndex.body.luid.netLuidIndex).toBe(32768);
  });

  it('empties the list on a BootEpoch and hands out indexes afresh', async () => {
    const base = await start({ IFREG_REGISTER_HOST: 'false' });
    await post(base, detection('host-b', 1));
    await post(base, detection('host-b', 2));
    const boot = await post(base, { type: 'BootEpoch', schemaVersion: 1, messageId: randomUUID(), scope: 'host-b', bootId: 'b2', at: '2026-11-24T12:01:00.000Z' });
    expect(boot.body).toMatchObject({ type: 'BootEpochStarted', epoch: 1 });
    const empty = await call(base, `/v1/scopes/host-b/interfaces?minPosition=${boot.body.position}`);
    expect(empty.body).toMatchObject({ epoch: 1, items: [] });
    const again = await post(base, detection('host-b', 2));
    expect(again.body.ifIndex).toBe(1);
  });

  it('refuses a malformed detection with a reason naming the field, records the failure, and keeps serving', async () => {
    const base = await start({ IFREG_REGISTER_HOST: 'false' });
    const bad = detection('host-c', 16_777_216);
    const refused = await post(base, bad);
    expect(refused.status).toBe(400);
    expect(refused.body.reason).toContain('luid.netLuidIndex');
    expect(refused.body.outcome).toMatchObject({ type: 'RegistrationFailed', status: 'INVALID_PARAMETER', causationId: bad.messageId });

    const notJson = await post(base, '{"type":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toBe('InvalidMessage');

    const failures = await call(base, `/v1/scopes/host-c/failures?minPosition=${refused.body.outcome.position}`);
    expect(failures.body.items).toEqual([expect.objectContaining({ status: 'INVALID_PARAMETER', causationId: bad.messageId })]);
    expect((await call(base, '/healthz')).status).toBe(200);
    expect((await post(base, detection('host-c', 7))).body.ifIndex).toBe(1);
  });

  it('keeps its data across a restart (the SQLite store is replayed)', async () => {
    const base = await start();
    await post(base, detection('host-d', 5));
    const before = await call(base, '/v1/scopes');
    await running?.stop();
    const restarted = await start();
    const after = await call(restarted, '/v1/scopes');
    // Same boot, same interfaces: the host registration is idempotent, nothing new recorded.
    expect(after.body.items).toEqual(before.body.items);
    expect((await call(restarted, '/v1/scopes/host-d/luids/ethernet_5')).body.ifIndex).toBe(1);
  });

  it('requires the bearer token for writes when one is configured', async () => {
    const token = 'a-test-token-of-some-length';
    const base = await start({ IFREG_REGISTER_HOST: 'false', IFREG_TOKEN: token, IFREG_HTTP_HOST: '127.0.0.1' });
    expect((await post(base, detection('host-e', 1))).status).toBe(401);
    expect((await post(base, detection('host-e', 1), '?wait=true', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(base, detection('host-e', 1), '?wait=true', { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('answers 404 and 504 with a JSON reason, and serves OpenAPI and metrics', async () => {
    const base = await start({ IFREG_REGISTER_HOST: 'false' });
    await post(base, detection('host-f', 1));
    expect(await call(base, '/v1/scopes/host-f/interfaces/9')).toMatchObject({ status: 404, body: { error: 'InterfaceNotFound' } });
    expect(await call(base, '/v1/scopes/nowhere/interfaces')).toMatchObject({ status: 404, body: { error: 'ScopeNotFound' } });
    expect(await call(base, '/v1/scopes/host-f/luids/nonsense')).toMatchObject({ status: 400, body: { error: 'InvalidLuid' } });
    expect(await call(base, '/v1/scopes?minPosition=999999&timeoutMs=50')).toMatchObject({ status: 504, body: { error: 'PositionNotReached' } });
    expect((await post(base, detection('host-f', 2), '')).status).toBe(202);
    const openapi = await call(base, '/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/scopes', '/v1/scopes/{scope}/interfaces', '/v1/messages']));
    const metrics = await call(base, '/metrics');
    expect(metrics.body).toContain('ifreg_registrar_decisions_total{outcome="InterfaceRegistered"');
  });

  it('follows this host: an interface that appears is registered within a second or two, one that goes away is removed', async () => {
    // A sysfs tree of our own, so the test can add and remove interfaces without privileges.
    const sysfs = join(dir, 'sys-class-net');
    const addInterface = (name: string, ifindex: number, address: string) => {
      mkdirSync(join(sysfs, name), { recursive: true });
      for (const [file, value] of Object.entries({ type: '1', flags: '0x1003', ifindex: String(ifindex), mtu: '1500', address })) {
        writeFileSync(join(sysfs, name, file), `${value}\n`);
      }
    };
    addInterface('eth0', 2, '02:00:00:00:00:01');
    const base = await start({ IFREG_SYSFS: sysfs, IFREG_HOST_POLL_MS: '200' });
    const names = async () => ((await call(base, '/v1/scopes/local/interfaces')).body.items as any[]).map((i) => i.info.friendlyName).sort();
    const eventually = async (expected: string[]) => {
      const deadline = Date.now() + 3000;
      while ((await names()).join() !== expected.join() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await names()).toEqual(expected);
    };
    expect(await names()).toEqual(['eth0']);
    addInterface('veth9', 7, '02:00:00:00:00:09');
    await eventually(['eth0', 'veth9']);
    rmSync(join(sysfs, 'eth0'), { recursive: true });
    await eventually(['veth9']);
  });
  it('answers a message id posted again after 1,201 others with its first outcome, and the registry goes on (DESIGN §2.4)', async () => {
    const base = await start({ IFREG_DEDUPE_WINDOW: '1000', IFREG_REGISTER_HOST: 'false' });
    const first = detection('host-old', 1);
    const firstAnswer = await post(base, first);
    expect(firstAnswer.status).toBe(200);
    for (let n = 2; n <= 1202; n++) expect((await post(base, detection('host-old', n), n === 1202 ? '?wait=true' : '')).status).toBe(n === 1202 ? 200 : 202);
    const timed = async (label: string, body: unknown) => {
      const started = performance.now();
      const answer = await post(base, body);
      console.log(`[no-message-stops] ${label}: ${answer.status} in ${(performance.now() - started).toFixed(1)} ms`);
      return answer;
    };

    const again = await timed('the first message again', first);
    const reused = await timed('its id re-used for other content', { ...detection('host-old', 5000), messageId: first.messageId });
    const other = await timed('a new message in another scope', detection('host-new', 1));

    // The same event; its position is where the store stands now (at or after the event, DESIGN §2.9).
    expect(again).toEqual({ status: 200, body: { ...firstAnswer.body, position: expect.any(Number) } });
    expect(again.body.position).toBeGreaterThanOrEqual(firstAnswer.body.position);
    expect(reused.status).toBe(200);
    expect(reused.body).toMatchObject({ type: 'InterfaceRegistered', ifIndex: 1, causationId: first.messageId, luid: { netLuidIndex: 1 } });
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ type: 'InterfaceRegistered', scope: 'host-new', ifIndex: 1 });
    const list = await call(base, '/v1/scopes/host-old/interfaces?limit=2000');
    expect(list.body.items).toHaveLength(1202);
  });
});
