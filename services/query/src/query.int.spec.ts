import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeInfo, type RegistryEvent } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { ANY } from '@ifreg/ports';
import { ConfigError } from '@ifreg/platform';
import { Cleanup, freePort, serviceMain, sleep, sseReader, startService, waitForValue } from '@ifreg/testing';
import { loadConfig } from './config';
import { startQuery } from './start';

/*
 * The query service against a real SQLite store. The writer is the built all-in-one
 * (`services/all-in-one/dist/main.js`, a registrar with the HTTP ingest) in its own process
 * on the same file; the query replicas under test run in this process and see its appends
 * by polling (~200 ms), as replicas on another machine would see EventStoreDB's.
 */

const root = join(__dirname, '..', '..', '..');
const AT = '2026-11-24T12:00:00.000Z';
type Luid = { ifType: number; netLuidIndex: number };
type Body = any;

// ---------------------------------------------------------------------------------------
// Resources: everything started is stopped by the afterEach (or afterAll) that owns it.

const Resources = Cleanup;
type Resources = Cleanup;

/** Everything started by one test. */
const running = new Resources();
let dir: string;
let db: string;

beforeAll(() => {
  // The writer process and the CLI (ifreg rebuild) run from dist.
  execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root, stdio: 'ignore' });
}, 60_000);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-query-'));
  db = join(dir, 'ifreg.db');
});

afterEach(async () => {
  await running.run();
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------
// Services

/** Environment of a child: ours without any IFREG_* setting of the shell running jest. */
const childEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('IFREG_'))),
  ...extra,
});

/** The all-in-one as the writer on `path`, in its own process; answers its base URL. */
async function startWriter(resources: Resources, path = db): Promise<string> {
  const env = { IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: path, IFREG_REGISTER_HOST: 'false' };
  return (await startService(serviceMain('all-in-one'), { name: 'writer', env, ready: 'ifreg is ready', timeoutMs: 15_000, cleanup: resources })).url;
}

/** A query replica on `path` in this process; answers its base URL. */
async function startReader(resources: Resources, env: Record<string, string> = {}, path = db): Promise<string> {
  const service = await startQuery(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: path, IFREG_LOG_LEVEL: 'silent', ...env }));
  resources.defer(() => service.stop());
  return service.url;
}

// ---------------------------------------------------------------------------------------
// HTTP

async function call(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

const get = async (base: string, path: string): Promise<Body> => {
  const { status, body } = await call(base, path);
  if (status !== 200) throw new Error(`GET ${path}: ${status} ${JSON.stringify(body)}`);
  return body;
};

/** Sends one agent message to the writer and answers the event recorded for it (with its position). */
async function send(writer: string, message: object): Promise<Body> {
  const { status, body } = await call(writer, '/v1/messages?wait=true', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
  if (status !== 200) throw new Error(`POST /v1/messages: ${status} ${JSON.stringify(body)}`);
  return body;
}

const detected = (scope: string, luid: Luid, friendlyName: string, providerId = 'agent-a') => ({
  type: 'InterfaceDetected',
  schemaVersion: 1,
  messageId: randomUUID(),
  scope,
  providerId,
  luid,
  providerIfContext: `${providerId}:${friendlyName}`,
  info: { friendlyName },
  detectedAt: AT,
});
const removed = (scope: string, luid: Luid, providerId = 'agent-a') => ({ type: 'InterfaceRemoved', schemaVersion: 1, messageId: randomUUID(), scope, providerId, luid });
const booted = (scope: string) => ({ type: 'BootEpoch', schemaVersion: 1, messageId: randomUUID(), scope, bootId: randomUUID(), at: AT });
const ethernet = (netLuidIndex: number): Luid => ({ ifType: 6, netLuidIndex });

const ifIndexes = (body: Body): number[] => body.items.map((i: Body) => i.ifIndex);
const names = (body: Body): string[] => body.items.map((i: Body) => i.info.friendlyName);

/** Retries `probe` until it answers something other than undefined, or fails after timeoutMs. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  return (await waitForValue(probe, (value) => value !== undefined, timeoutMs, what, 20)) as T;
}

// ---------------------------------------------------------------------------------------
// A small server-sent-events client: fetch, a stream reader, eventsource-parser.

interface SseEvent {
  readonly id: number;
  readonly event: string;
  readonly data: Body;
}

class SseStream {
  private readonly events: SseEvent[] = [];
  private taken = 0;
  private ended = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly abort: AbortController, body: ReadableStream<Uint8Array>) {
    void this.pump(body);
  }

  /** Opens a watch; a refusal (e.g. 410) comes back as its status and JSON body. */
  static async open(resources: Resources, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body?: Body; stream?: SseStream }> {
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    if (response.status !== 200 || !response.body) return { status: response.status, body: await response.json() };
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const stream = new SseStream(abort, response.body);
    resources.defer(() => stream.close());
    return { status: response.status, stream };
  }

  /** Opens a watch that must be accepted. */
  static async watch(resources: Resources, url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const opened = await SseStream.open(resources, url, headers);
    if (!opened.stream) throw new Error(`watch refused: ${opened.status} ${JSON.stringify(opened.body)}`);
    return opened.stream;
  }

  /** The next `count` events, or a failure naming what did arrive. */
  async take(count: number, timeoutMs = 5000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length - this.taken < count) {
      const left = deadline - Date.now();
      if (left <= 0 || this.ended) {
        const got = this.events.slice(this.taken).map((e) => `${e.id} ${e.event}`);
        throw new Error(`expected ${count} events within ${timeoutMs} ms${this.ended ? ' (stream ended)' : ''}, got [${got.join(', ')}]`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const out = this.events.slice(this.taken, this.taken + count);
    this.taken += count;
    return out;
  }


  get isEnded(): boolean {
    return this.ended;
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const feed = sseReader((event) => {
      this.events.push({ id: Number(event.id), event: event.event ?? 'message', data: JSON.parse(event.data) });
      this.wake?.();
    });
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted by close()
    } finally {
      this.ended = true;
      this.wake?.();
    }
  }

}

const summary = (events: readonly SseEvent[]): [number, string][] => events.map((e) => [e.id, e.event]);

// ---------------------------------------------------------------------------------------
// Direct writes: thousands of events for catch-up and rebuild, through the store port.

function registration(scope: string, ifIndex: number): RegistryEvent {
  const info = completeInfo({ friendlyName: `eth${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  return {
    type: 'InterfaceRegistered', scope, epoch: 0, ifIndex, luid: ethernet(ifIndex), providerId: 'seed', providerIfContext: '', info: info.value, causationId: `seed-${scope}-${ifIndex}`, at: AT,
  };
}

const deregistration = (scope: string, ifIndex: number): RegistryEvent => ({
  type: 'InterfaceDeregistered', scope, epoch: 0, ifIndex, luid: ethernet(ifIndex), providerId: 'seed', causationId: `seed-gone-${scope}-${ifIndex}`, at: AT,
});

/** Writes `scopes` × `perScope` registrations (and removes every 7th) as a registrar would; answers the head. */
async function seed(scopes: number, perScope: number, path = db): Promise<number> {
  const store = new SqliteEventStore({ path, synchronous: 'NORMAL' });
  try {
    for (let s = 0; s < scopes; s++) {
      const scope = `seed-${s}`;
      const events = Array.from({ length: perScope }, (_, i) => registration(scope, i + 1));
      for (let i = 7; i <= perScope; i += 7) events.push(deregistration(scope, i));
      for (let i = 0; i < events.length; i += 1000) {
        await store.append(`registry-${scope}`, events.slice(i, i + 1000).map((data) => ({ id: data.causationId, type: data.type, data })), ANY);
      }
    }
    return await store.headPosition();
  } finally {
    await store.close();
  }
}

/** `ifreg rebuild` against the replica at `url`. */
function runRebuild(url: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'services/cli/dist/main.js'), '--url', url, 'rebuild', ...args], { env: childEnv({}), timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// =======================================================================================

describe('a query service started on a store with history', () => {
  it('is live at once, ready once caught up, and /readyz tells its position', async () => {
    // given: enough history that the catch-up takes a while
    const head = await seed(8, 4000);
    const port = await freePort();
    // when: /readyz is asked all along the start
    const starting = startQuery(loadConfig({ IFREG_HTTP_PORT: String(port), IFREG_SQLITE_PATH: db, IFREG_LOG_LEVEL: 'silent' }));
    let started = false;
    const answers: { status: number; body: Body }[] = [];
    const polling = (async () => {
      while (!started) {
        const answer = await call(`http://127.0.0.1:${port}`, '/readyz').catch(() => undefined); // not listening yet
        if (answer) answers.push(answer);
        await sleep(2);
      }
    })();
    const service = await starting;
    running.defer(() => service.stop());
    started = true;
    await polling;
    // then: never ready before the whole history is folded in
    for (const { status, body } of answers) {
      if (status === 503) expect(body).toMatchObject({ status: 'not-ready', position: expect.any(Number) });
      else expect(body).toEqual({ status: 'ready', position: head });
      if (status === 503) expect(body.position).toBeLessThan(head);
    }
    expect(answers.some((a) => a.status === 503)).toBe(true);
    expect(await call(service.url, '/readyz')).toEqual({ status: 200, body: { status: 'ready', position: head } });
    expect(await call(service.url, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('serves what the writer serves; two replicas agree on lists and position', async () => {
    // given: history written through the all-in-one
    const writer = await startWriter(running);
    await send(writer, detected('host-a', ethernet(1), 'eth0'));
    await send(writer, detected('host-a', { ifType: 71, netLuidIndex: 1 }, 'wlan0'));
    await send(writer, removed('host-a', ethernet(9)));
    const last = await send(writer, detected('host-b', ethernet(1), 'eth0'));
    // when
    const [one, two] = await Promise.all([startReader(running), startReader(running)]);
    // then
    const scopes = await get(writer, '/v1/scopes');
    expect(scopes.items.map((s: Body) => [s.scope, s.interfaceCount])).toEqual([['host-a', 2], ['host-b', 1]]);
    for (const reader of [one, two]) {
      expect(await get(reader, '/readyz')).toEqual({ status: 'ready', position: last.position });
      expect(await get(reader, '/v1/scopes')).toEqual(scopes);
      expect(await get(reader, '/v1/scopes/host-a/interfaces')).toEqual(await get(writer, '/v1/scopes/host-a/interfaces'));
      expect(await get(reader, '/v1/scopes/host-a/failures')).toEqual(await get(writer, '/v1/scopes/host-a/failures'));
    }
  });

  it('keeps two replicas in agreement while the writer goes on', async () => {
    const writer = await startWriter(running);
    const [one, two] = await Promise.all([startReader(running), startReader(running)]);
    let last = 0;
    for (let i = 1; i <= 5; i++) last = (await send(writer, detected('host-c', ethernet(i), `eth${i}`))).position;
    const lists = await Promise.all([one, two].map((r) => get(r, `/v1/scopes/host-c/interfaces?minPosition=${last}`)));
    expect(lists[0]).toEqual(lists[1]);
    expect(lists[0]).toMatchObject({ position: last, epoch: 0 });
    expect(ifIndexes(lists[0])).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('the queries of a replica', () => {
  // Read-only: one writer, one history and one replica for the whole group.
  const fixture = new Resources();
  let fixtureDir: string;
  let reader: string;
  let failures: Body[];

  beforeAll(async () => {
    fixtureDir = mkdtempSync(join(tmpdir(), 'ifreg-query-fixture-'));
    const path = join(fixtureDir, 'ifreg.db');
    const writer = await startWriter(fixture, path);
    await send(writer, detected('lab', ethernet(1), 'eth0')); // ifIndex 1
    await send(writer, detected('lab', { ifType: 71, netLuidIndex: 2 }, 'wlan0')); // 2
    await send(writer, detected('lab', ethernet(3), 'eth1', 'agent-b')); // 3
    await send(writer, detected('lab', { ifType: 131, netLuidIndex: 4 }, 'tun0', 'vpn')); // 4
    await send(writer, detected('lab', ethernet(5), 'eth2', 'agent-b')); // 5
    await send(writer, detected('lab', ethernet(6), 'uplink')); // 6
    await send(writer, detected('lab', ethernet(7), 'uplink')); // 7: same friendly name as 6
    failures = [
      await send(writer, removed('lab', ethernet(99))), // INTERFACE_NOT_FOUND
      await send(writer, detected('lab', ethernet(1), 'eth0-renamed')), // INTERFACE_EXISTS
    ];
    reader = await startReader(fixture, {}, path);
    await get(reader, `/v1/scopes/lab/interfaces?minPosition=${failures[1].position}`);
  }, 30_000);

  afterAll(async () => {
    await fixture.run();
    rmSync(fixtureDir, { recursive: true, force: true });
  });

  describe('listing the interfaces of a scope', () => {
    it('gives every interface sorted by ifIndex, with the LUID value and name and the position', async () => {
      const list = await get(reader, '/v1/scopes/lab/interfaces');
      expect(ifIndexes(list)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(list).toMatchObject({ scope: 'lab', epoch: 0, position: failures[1].position });
      expect(list.items[1]).toMatchObject({
        ifIndex: 2,
        luid: { ifType: 71, netLuidIndex: 2, value: '0x0047000002000000', name: 'wireless_2' },
        providerId: 'agent-a',
        info: { friendlyName: 'wlan0' },
        registeredAt: expect.any(String),
      });
      expect(list.next).toBeUndefined();
    });

    it.each([
      ['ifType=6', [1, 3, 5, 6, 7]],
      ['ifType=131', [4]],
      ['ifType=23', []],
      ['providerId=agent-b', [3, 5]],
      ['providerId=vpn', [4]],
      ['name=wlan0', [2]],
      ['name=uplink', [6, 7]],
      ['name=ethernet_3', [3]],
      ['ifType=6&providerId=agent-b', [3, 5]],
      ['ifType=6&name=eth1', [3]],
    ])('keeps the matching ones for ?%s', async (query, expected) => {
      expect(ifIndexes(await get(reader, `/v1/scopes/lab/interfaces?${query}`))).toEqual(expected);
    });

    it('pages with limit and after, handing out `next` while a page is full', async () => {
      const pages: number[][] = [];
      let path = '/v1/scopes/lab/interfaces?limit=3';
      for (let i = 0; i < 10; i++) {
        const page = await get(reader, path);
        pages.push(ifIndexes(page));
        if (page.next === undefined) break;
        path = `/v1/scopes/lab/interfaces?limit=3&after=${page.next}`;
      }
      expect(pages).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    });

    it('pages through a filtered list', async () => {
      const first = await get(reader, '/v1/scopes/lab/interfaces?ifType=6&limit=2');
      expect([ifIndexes(first), first.next]).toEqual([[1, 3], 3]);
      const second = await get(reader, `/v1/scopes/lab/interfaces?ifType=6&limit=2&after=${first.next}`);
      expect([ifIndexes(second), second.next]).toEqual([[5, 6], 6]);
      const third = await get(reader, `/v1/scopes/lab/interfaces?ifType=6&limit=2&after=${second.next}`);
      expect([ifIndexes(third), third.next]).toEqual([[7], undefined]);
    });

    it('refuses a bad parameter with 400 and a reason', async () => {
      const { status, body } = await call(reader, '/v1/scopes/lab/interfaces?limit=0');
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: 'BadRequest', reason: expect.stringContaining('limit') });
    });
  });

  describe('getting one interface', () => {
    it('finds it by ifIndex', async () => {
      expect(await get(reader, '/v1/scopes/lab/interfaces/3')).toMatchObject({
        scope: 'lab',
        position: failures[1].position,
        ifIndex: 3,
        providerId: 'agent-b',
        luid: { value: '0x0006000003000000', name: 'ethernet_3' },
      });
    });

    it.each(['0x0006000003000000', '0x6000003000000', 'ethernet_3'])('finds it by LUID %s', async (luid) => {
      expect(await get(reader, `/v1/scopes/lab/luids/${luid}`)).toMatchObject({ ifIndex: 3, info: { friendlyName: 'eth1' } });
    });

    it.each([
      ['an ifIndex nobody has', '/v1/scopes/lab/interfaces/42', 'InterfaceNotFound', /ifIndex 42 is not registered in scope lab/],
      ['a LUID nobody has', '/v1/scopes/lab/luids/ethernet_77', 'InterfaceNotFound', /NET_LUID ethernet_77 is not registered/],
      ['a scope with no events', '/v1/scopes/nowhere/interfaces', 'ScopeNotFound', /scope nowhere has no recorded events/],
      ['an interface of a scope with no events', '/v1/scopes/nowhere/interfaces/1', 'ScopeNotFound', /nowhere/],
      ['the failures of a scope with no events', '/v1/scopes/nowhere/failures', 'ScopeNotFound', /nowhere/],
      ['a path that is no route', '/v1/nothing', 'NotFound', /no route GET \/v1\/nothing/],
    ])('answers 404 with a JSON reason for %s', async (_, path, error, reason) => {
      const { status, body } = await call(reader, path);
      expect(status).toBe(404);
      expect(body).toEqual({ error, reason: expect.stringMatching(reason) });
    });

    it('answers 400 with the reason for a LUID that is no LUID', async () => {
      const { status, body } = await call(reader, '/v1/scopes/lab/luids/eth0');
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: 'InvalidLuid', reason: expect.stringMatching(/nor a name like ethernet_32768/) });
    });
  });

  describe('the failures of a scope', () => {
    it('lists each with its status, reason, LUID and causation, oldest first', async () => {
      const list = await get(reader, '/v1/scopes/lab/failures');
      expect(list).toMatchObject({ scope: 'lab', epoch: 0, position: failures[1].position });
      expect(list.items).toEqual([
        expect.objectContaining({ status: 'INTERFACE_NOT_FOUND', reason: expect.stringContaining('ethernet_99'), luid: ethernet(99), causationId: failures[0].causationId, position: failures[0].position }),
        expect.objectContaining({ status: 'INTERFACE_EXISTS', reason: expect.stringContaining('already registered as ifIndex 1'), causationId: failures[1].causationId, at: expect.any(String) }),
      ]);
    });
  });

  describe('the conversions', () => {
    it('converts a LUID to its ifIndex, by value or name', async () => {
      for (const luid of ['ethernet_5', '0x0006000005000000']) {
        expect(await get(reader, `/v1/scopes/lab/convert/luid-to-index/${luid}`)).toEqual({
          luid: { ifType: 6, netLuidIndex: 5, value: '0x0006000005000000', name: 'ethernet_5' },
          ifIndex: 5,
          position: failures[1].position,
        });
      }
    });

    it('converts an ifIndex to its LUID', async () => {
      expect(await get(reader, '/v1/scopes/lab/convert/index-to-luid/4')).toMatchObject({ ifIndex: 4, luid: { ifType: 131, netLuidIndex: 4, value: '0x0083000004000000', name: 'tunnel_4' } });
    });

    it('converts a LUID name or a friendly name to the LUID', async () => {
      expect(await get(reader, '/v1/scopes/lab/convert/name-to-luid/tunnel_4')).toMatchObject({ name: 'tunnel_4', ifIndex: 4, luid: { value: '0x0083000004000000' } });
      expect(await get(reader, '/v1/scopes/lab/convert/name-to-luid/wlan0')).toMatchObject({ name: 'wlan0', ifIndex: 2, luid: { name: 'wireless_2' } });
    });

    it('gets one whole interface by its friendly name or LUID name', async () => {
      expect(await get(reader, '/v1/scopes/lab/names/wlan0')).toMatchObject({ scope: 'lab', ifIndex: 2, info: { friendlyName: 'wlan0' }, luid: { name: 'wireless_2' } });
      expect(await get(reader, '/v1/scopes/lab/names/tunnel_4')).toMatchObject({ ifIndex: 4 });
      expect((await call(reader, '/v1/scopes/lab/names/uplink')).status).toBe(409);
      expect((await call(reader, '/v1/scopes/lab/names/eth9')).status).toBe(404);
    });

    it('answers 409 AmbiguousName, with the ifIndexes, when two interfaces share a friendly name', async () => {
      const { status, body } = await call(reader, '/v1/scopes/lab/convert/name-to-luid/uplink');
      expect(status).toBe(409);
      expect(body).toEqual({ error: 'AmbiguousName', reason: expect.stringContaining('2 interfaces are named uplink'), ifIndexes: [6, 7] });
    });

    it.each([
      ['/v1/scopes/lab/convert/luid-to-index/ethernet_42', 404, 'InterfaceNotFound'],
      ['/v1/scopes/lab/convert/luid-to-index/eth0', 400, 'InvalidLuid'],
      ['/v1/scopes/lab/convert/index-to-luid/42', 404, 'InterfaceNotFound'],
      ['/v1/scopes/lab/convert/name-to-luid/eth9', 404, 'InterfaceNotFound'],
      ['/v1/scopes/nowhere/convert/index-to-luid/1', 404, 'ScopeNotFound'],
    ])('answers %s with %i %s and a reason', async (path, status, error) => {
      expect(await call(reader, path)).toEqual({ status, body: { error, reason: expect.any(String) } });
    });
  });
});

describe('reading your writes on a replica', () => {
  it('answers once the replica has reached the position the writer gave', async () => {
    // given
    const writer = await startWriter(running);
    const reader = await startReader(running);
    // when
    const written = await send(writer, detected('ryw', ethernet(32768), 'eth0'));
    // then: the replica polls the store (~200 ms), the request waits for it
    const list = await get(reader, `/v1/scopes/ryw/interfaces?minPosition=${written.position}&timeoutMs=5000`);
    expect(list.position).toBeGreaterThanOrEqual(written.position);
    expect(list.items).toEqual([expect.objectContaining({ ifIndex: written.ifIndex, luid: expect.objectContaining({ name: 'ethernet_32768' }) })]);
    expect(await get(reader, `/v1/scopes/ryw/interfaces/${written.ifIndex}?minPosition=${written.position}`)).toMatchObject({ ifIndex: written.ifIndex });
  });

  it('answers 504 PositionNotReached, with the position reached, when the position is not reached in time', async () => {
    const reader = await startReader(running);
    const { status, body } = await call(reader, '/v1/scopes?minPosition=1000000&timeoutMs=100', { signal: AbortSignal.timeout(20_000) });
    expect(status).toBe(504);
    expect(body).toEqual({ error: 'PositionNotReached', reason: expect.stringContaining('not 1000000, within 100 ms'), position: 0 });
  });

  it('bounds the wait by IFREG_MAX_WAIT_MS whatever timeoutMs asks', async () => {
    const reader = await startReader(running, { IFREG_MAX_WAIT_MS: '100' });
    // an unbounded wait (60 s) would be cut by the client long before it ends
    const { status, body } = await call(reader, '/v1/scopes/x/interfaces?minPosition=1000000&timeoutMs=60000', { signal: AbortSignal.timeout(20_000) });
    expect(status).toBe(504);
    expect(body.reason).toContain('within 100 ms');
  });
});

describe('time travel with ?asOf', () => {
  it('lists a scope as it was at a position, across a BootEpoch', async () => {
    // given: detect A, B, BootEpoch, detect C
    const writer = await startWriter(running);
    const a = await send(writer, detected('tt', ethernet(1), 'A'));
    const b = await send(writer, detected('tt', ethernet(2), 'B'));
    const boot = await send(writer, booted('tt'));
    const c = await send(writer, detected('tt', ethernet(3), 'C'));
    const reader = await startReader(running);
    // then
    expect(await get(reader, `/v1/scopes/tt/interfaces?asOf=${a.position}`)).toMatchObject({ epoch: 0, position: a.position, items: [expect.objectContaining({ ifIndex: 1 })] });
    const atB = await get(reader, `/v1/scopes/tt/interfaces?asOf=${b.position}`);
    expect([names(atB), atB.epoch, atB.position]).toEqual([['A', 'B'], 0, b.position]);
    const atBoot = await get(reader, `/v1/scopes/tt/interfaces?asOf=${boot.position}`);
    expect([names(atBoot), atBoot.epoch]).toEqual([[], 1]);
    const now = await get(reader, '/v1/scopes/tt/interfaces');
    expect([names(now), now.epoch, now.position]).toEqual([['C'], 1, c.position]);
    expect(ifIndexes(now)).toEqual([1]);
  });

  it('answers 404 for a position before the scope had any event', async () => {
    const writer = await startWriter(running);
    await send(writer, detected('other', ethernet(1), 'x'));
    const first = await send(writer, detected('tt', ethernet(1), 'A'));
    const reader = await startReader(running);
    const { status, body } = await call(reader, `/v1/scopes/tt/interfaces?asOf=${first.position - 1}`);
    expect(status).toBe(404);
    expect(body).toEqual({ error: 'ScopeNotFound', reason: `scope tt had no events at position ${first.position - 1}` });
  });
});

/**
 * Checks that nothing else came before the next change of `scope`: records a marker change
 * and expects it to be the next event of every stream (changes arrive in position order).
 */
async function expectNothingBefore(writer: string, scope: string, ...streams: SseStream[]): Promise<void> {
  const marker = await send(writer, detected(scope, ethernet(4000), 'marker'));
  for (const stream of streams) expect(summary(await stream.take(1))).toEqual([[marker.position, 'registered']]);
}

describe('watching changes (server-sent events)', () => {
  /** Registers X, deregisters it, fails to remove it again, boots, registers Y; answers the events recorded. */
  async function history(writer: string, scope: string): Promise<Body[]> {
    return [
      await send(writer, detected(scope, ethernet(1), 'X')),
      await send(writer, removed(scope, ethernet(1))),
      await send(writer, removed(scope, ethernet(1))),
      await send(writer, booted(scope)),
      await send(writer, detected(scope, ethernet(2), 'Y')),
    ];
  }

  it('delivers registered, deregistered, failed, reset, then the new registrations, with ids = positions', async () => {
    // given
    const writer = await startWriter(running);
    await send(writer, detected('w1', ethernet(9), 'before'));
    const reader = await startReader(running);
    const stream = await SseStream.watch(running, `${reader}/v1/watch?scope=w1`);
    // when
    const reg = await send(writer, detected('w1', ethernet(1), 'X'));
    const dereg = await send(writer, removed('w1', ethernet(1)));
    const fail = await send(writer, removed('w1', ethernet(1)));
    await send(writer, detected('w2', ethernet(1), 'elsewhere'));
    const boot = await send(writer, booted('w1'));
    const y = await send(writer, detected('w1', ethernet(2), 'Y'));
    // then
    const events = await stream.take(5);
    expect(summary(events)).toEqual([
      [reg.position, 'registered'],
      [dereg.position, 'deregistered'],
      [fail.position, 'failed'],
      [boot.position, 'reset'],
      [y.position, 'registered'],
    ]);
    expect(events[0]?.data).toMatchObject({ position: reg.position, scope: 'w1', kind: 'registered', data: { ifIndex: 2, luid: { name: 'ethernet_1' }, info: { friendlyName: 'X' } } });
    expect(events[1]?.data.data).toMatchObject({ ifIndex: 2, luid: { value: '0x0006000001000000', name: 'ethernet_1' }, providerId: 'agent-a' });
    expect(events[2]?.data.data).toMatchObject({ status: 'INTERFACE_NOT_FOUND', reason: expect.any(String), causationId: fail.causationId });
    expect(events[3]?.data.data).toMatchObject({ epoch: 1, bootId: boot.bootId });
    expect(events[4]?.data.data).toMatchObject({ ifIndex: 1, epoch: 1, info: { friendlyName: 'Y' } });
    await expectNothingBefore(writer, 'w1', stream);
  });

  it('resumes after Last-Event-ID with exactly the later changes, then follows live', async () => {
    // given
    const writer = await startWriter(running);
    const reader = await startReader(running);
    const recorded = await history(writer, 'w1');
    const positions = recorded.map((e) => e.position);
    await get(reader, `/v1/scopes?minPosition=${positions.at(-1)}`);
    // when
    const stream = await SseStream.watch(running, `${reader}/v1/watch?scope=w1`, { 'last-event-id': String(positions[0]) });
    // then
    expect((await stream.take(4)).map((e) => e.id)).toEqual(positions.slice(1));
    // then: the next change comes next, with nothing before it
    const next = await send(writer, detected('w1', ethernet(3), 'Z'));
    expect(summary(await stream.take(1))).toEqual([[next.position, 'registered']]);
  });

  it('resumes with ?from= the same way, and Last-Event-ID wins over it', async () => {
    const writer = await startWriter(running);
    const reader = await startReader(running);
    const positions = (await history(writer, 'w1')).map((e) => e.position);
    await get(reader, `/v1/scopes?minPosition=${positions.at(-1)}`);

    const byFrom = await SseStream.watch(running, `${reader}/v1/watch?scope=w1&from=${positions[1]}`);
    expect((await byFrom.take(3)).map((e) => e.id)).toEqual(positions.slice(2));
    const both = await SseStream.watch(running, `${reader}/v1/watch?scope=w1&from=0`, { 'last-event-id': String(positions[3]) });
    expect((await both.take(1)).map((e) => e.id)).toEqual(positions.slice(4));
    await expectNothingBefore(writer, 'w1', byFrom, both);
  });

  it('resumes from a list position: relist, then watch from the list’s position', async () => {
    const writer = await startWriter(running);
    const reader = await startReader(running);
    await history(writer, 'w1');
    const list = await get(reader, `/v1/scopes/w1/interfaces?minPosition=${(await send(writer, detected('w1', ethernet(5), 'V'))).position}`);
    const stream = await SseStream.watch(running, `${reader}/v1/watch?scope=w1&from=${list.position}`);
    const next = await send(writer, removed('w1', ethernet(5)));
    expect(summary(await stream.take(1))).toEqual([[next.position, 'deregistered']]);
  });

  it('sees every scope when no scope is given', async () => {
    const writer = await startWriter(running);
    const reader = await startReader(running);
    const stream = await SseStream.watch(running, `${reader}/v1/watch`);
    const one = await send(writer, detected('s1', ethernet(1), 'a'));
    const two = await send(writer, detected('s2', ethernet(1), 'b'));
    const three = await send(writer, booted('s1'));
    const events = await stream.take(3);
    expect(events.map((e) => [e.id, e.event, e.data.scope])).toEqual([
      [one.position, 'registered', 's1'],
      [two.position, 'registered', 's2'],
      [three.position, 'reset', 's1'],
    ]);
  });

  it('answers 410 with a reason for a position older than IFREG_WATCH_HISTORY changes, and serves the newer ones', async () => {
    // given: a replica keeping 3 changes, and 6 changes
    const writer = await startWriter(running);
    const reader = await startReader(running, { IFREG_WATCH_HISTORY: '3' });
    const positions: number[] = [];
    for (let i = 1; i <= 6; i++) positions.push((await send(writer, detected('h', ethernet(i), `eth${i}`))).position);
    await get(reader, `/v1/scopes?minPosition=${positions[5]}`);
    // when
    const tooOld = await SseStream.open(running, `${reader}/v1/watch?scope=h`, { 'last-event-id': String(positions[1]) });
    const fromZero = await SseStream.open(running, `${reader}/v1/watch?from=0`);
    const kept = await SseStream.watch(running, `${reader}/v1/watch?scope=h&from=${positions[2]}`);
    // then
    expect(tooOld).toEqual({ status: 410, body: { error: 'Gone', reason: expect.stringContaining(`position ${positions[1]} is older than the changes still kept`) } });
    expect(fromZero.status).toBe(410);
    expect((await kept.take(3)).map((e) => e.id)).toEqual(positions.slice(3));
  });

  it('serves a watch that resumes after the replica restarted, from the changes its snapshot kept, folding nothing again', async () => {
    // given: a replica that has seen 4 changes and written its snapshot, then stopped
    const writer = await startWriter(running);
    const first = await startQuery(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: db, IFREG_LOG_LEVEL: 'silent', IFREG_WATCH_HISTORY: '100' }));
    const positions: number[] = [];
    for (let i = 1; i <= 4; i++) positions.push((await send(writer, detected('r', ethernet(i), `eth${i}`))).position);
    await get(first.url, `/v1/scopes?minPosition=${positions[3]}`);
    expect((await call(first.url, '/v1/admin/snapshot', { method: 'POST' })).status).toBe(200);
    await first.stop();
    // when: it starts again and a client resumes from before the restart
    const reader = await startReader(running, { IFREG_WATCH_HISTORY: '100' });
    const stream = await SseStream.watch(running, `${reader}/v1/watch?scope=r`, { 'last-event-id': String(positions[0]) });
    // then: the changes after that position, none folded again at start
    expect((await stream.take(3)).map((e) => e.id)).toEqual(positions.slice(1));
    const metrics = await (await fetch(`${reader}/metrics`)).text();
    expect(metrics).toMatch(/^ifreg_projection_events_applied_total{service="query"} 0$/m);
    // and beyond its horizon (a replica keeping 2 changes from the same snapshot): 410
    const small = await startReader(running, { IFREG_WATCH_HISTORY: '2' });
    expect((await SseStream.open(running, `${small}/v1/watch?scope=r`, { 'last-event-id': String(positions[0]) })).status).toBe(410);
  });

  it('repeats no change when resuming on a replica that is behind the position given', async () => {
    // given: a change the writer has recorded and the client has seen (e.g. from another replica)
    const writer = await startWriter(running);
    const reader = await startReader(running);
    const seen = await send(writer, detected('lag', ethernet(1), 'seen'));
    // when: it resumes at once on a replica that may not have polled it yet
    const stream = await SseStream.watch(running, `${reader}/v1/watch?scope=lag`, { 'last-event-id': String(seen.position) });
    const next = await send(writer, detected('lag', ethernet(2), 'new'));
    // then
    expect(summary(await stream.take(1))).toEqual([[next.position, 'registered']]);
    await expectNothingBefore(writer, 'lag', stream);
  });

  it('refuses a Last-Event-ID that is no position with 400', async () => {
    const reader = await startReader(running);
    const refused = await SseStream.open(running, `${reader}/v1/watch`, { 'last-event-id': 'yesterday' });
    expect(refused.status).toBe(400);
    expect(refused.body.reason).toMatch(/last-event-id/);
  });

  it('lets the service stop while a client is watching, ending the stream', async () => {
    // given
    const service = await startQuery(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: db, IFREG_LOG_LEVEL: 'silent' }));
    let stopped = false;
    running.defer(async () => {
      if (!stopped) await service.stop();
    });
    const stream = await SseStream.watch(running, `${service.url}/v1/watch`);
    // when
    const stopping = service.stop().then(() => (stopped = true));
    // then
    await eventually('the service stopped', async () => (stopped ? true : undefined), 5000);
    await stopping;
    await eventually('the watch stream ended', async () => (stream.isEnded ? true : undefined), 2000);
  });
});

describe('rebuilding the read model of a running replica', () => {
  it('answers 202, keeps answering lists while it runs, reports progress, and swaps in the same list', async () => {
    // given: tens of thousands of events
    const head = await seed(8, 4000);
    const reader = await startReader(running);
    const scopesBefore = await get(reader, '/v1/scopes');
    const before = await get(reader, '/v1/scopes/seed-3/interfaces');
    expect(before.items).toHaveLength(4000 - Math.floor(4000 / 7));
    // when
    const started = await call(reader, '/v1/admin/rebuild', { method: 'POST' });
    const statuses: Body[] = [];
    const lists: { status: number; body: Body }[] = [];
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [status, list] = await Promise.all([get(reader, '/v1/admin/rebuild'), call(reader, '/v1/scopes/seed-3/interfaces?limit=50')]);
      statuses.push(status);
      lists.push(list);
      if (!status.running || Date.now() > deadline) break;
    }
    // then
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ running: true, target: head, startedAt: expect.any(String) });
    expect(statuses.at(-1)).toMatchObject({ running: false, position: head, target: head, finishedAt: expect.any(String) });
    expect(statuses.at(-1)?.error).toBeUndefined();
    // It ran for a while and the replica answered meanwhile.
    const during = statuses.filter((s) => s.running);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((s) => s.position <= s.target)).toBe(true);
    for (const list of lists) expect(list).toEqual({ status: 200, body: { ...before, items: before.items.slice(0, 50), next: before.items[49].ifIndex } });
    expect(await get(reader, '/v1/scopes/seed-3/interfaces')).toEqual(before);
    expect(await get(reader, '/v1/scopes')).toEqual(scopesBefore);
    expect(await get(reader, '/readyz')).toEqual({ status: 'ready', position: head });
  });

  it('follows the writer again after the swap', async () => {
    const writer = await startWriter(running);
    const reader = await startReader(running);
    await send(writer, detected('rb', ethernet(1), 'a'));
    expect((await call(reader, '/v1/admin/rebuild', { method: 'POST' })).status).toBe(202);
    await eventually('the rebuild finished', async () => ((await get(reader, '/v1/admin/rebuild')).running ? undefined : true));
    const later = await send(writer, detected('rb', ethernet(2), 'b'));
    expect(ifIndexes(await get(reader, `/v1/scopes/rb/interfaces?minPosition=${later.position}`))).toEqual([1, 2]);
  });

  it('runs from the CLI, which prints "rebuilt N events" and exits 0', async () => {
    const head = await seed(2, 1000);
    const reader = await startReader(running);
    const { code, stdout, stderr } = await runRebuild(reader, ['--interval', '20']);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(new RegExp(`^rebuilt ${head} events \\(\\d+ events/s\\), swapped in at \\S+\\n$`));
  });

  it('needs the bearer token when one is configured, from HTTP and from the CLI', async () => {
    const token = 'a-token-of-sixteen-chars';
    await seed(1, 100);
    const reader = await startReader(running, { IFREG_TOKEN: token, IFREG_HTTP_HOST: '127.0.0.1' });
    expect(await call(reader, '/v1/admin/rebuild', { method: 'POST' })).toEqual({ status: 401, body: { error: 'Unauthorized', reason: 'missing or wrong bearer token' } });
    const refused = await runRebuild(reader, []);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401 Unauthorized: missing or wrong bearer token');
    const done = await runRebuild(reader, ['--token', token]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^rebuilt \d+ events/);
  });
});

describe('the service’s own documents', () => {
  it('exposes projection lag, events applied and request metrics', async () => {
    const head = await seed(1, 50);
    const reader = await startReader(running);
    await get(reader, '/v1/scopes');
    const { status, body } = await call(reader, '/metrics');
    expect(status).toBe(200);
    const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(body)?.[1]);
    expect(value('ifreg_projection_lag_events')).toBe(0);
    expect(value('ifreg_projection_lag_seconds')).toBe(0);
    expect(value('ifreg_projection_events_applied_total')).toBe(head);
    expect(value('ifreg_projection_position')).toBe(head);
    expect(body).toMatch(/^ifreg_http_requests_total\{[^}]*route="\/v1\/scopes"[^}]*\} 1$/m);
  });

  it('shows lag while events wait, then catches up', async () => {
    const reader = await startReader(running);
    const writer = await startWriter(running);
    const written = await send(writer, detected('lag', ethernet(1), 'a'));
    await get(reader, `/v1/scopes?minPosition=${written.position}`);
    const metrics = await call(reader, '/metrics');
    expect(metrics.body).toMatch(/^ifreg_projection_lag_events\{[^}]*\} 0$/m);
    expect(metrics.body).toMatch(/^ifreg_projection_events_applied_total\{[^}]*\} 1$/m);
  });

  it('describes its API in /openapi.json', async () => {
    const reader = await startReader(running);
    const doc = await get(reader, '/openapi.json');
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/scopes',
        '/v1/scopes/{scope}/interfaces',
        '/v1/scopes/{scope}/interfaces/{ifIndex}',
        '/v1/scopes/{scope}/luids/{luid}',
        '/v1/scopes/{scope}/failures',
        '/v1/watch',
        '/v1/scopes/{scope}/convert/luid-to-index/{luid}',
        '/v1/scopes/{scope}/convert/index-to-luid/{ifIndex}',
        '/v1/scopes/{scope}/convert/name-to-luid/{name}',
        '/v1/admin/rebuild',
        '/readyz',
        '/metrics',
      ]),
    );
    expect(Object.keys(doc.paths)).not.toContain('/v1/messages');
  });
});

describe('the configuration of the query service', () => {
  it.each([
    [{ IFREG_HTTP_PORT: 'abc' }, 'IFREG_HTTP_PORT'],
    [{ IFREG_HTTP_PORT: '70000' }, 'IFREG_HTTP_PORT'],
    [{ IFREG_TOKEN: 'short' }, 'IFREG_TOKEN'],
    [{ IFREG_WATCH_HISTORY: '-1' }, 'IFREG_WATCH_HISTORY'],
    [{ IFREG_MAX_WAIT_MS: '10' }, 'IFREG_MAX_WAIT_MS'],
    [{ IFREG_LOG_LEVEL: 'loud' }, 'IFREG_LOG_LEVEL'],
  ])('refuses %j with a ConfigError naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('binds to loopback without a token and everywhere with one', () => {
    expect(loadConfig({}).http).toMatchObject({ port: 8080, host: '127.0.0.1', token: undefined });
    expect(loadConfig({ IFREG_TOKEN: 'a-token-of-sixteen-chars' }).http.host).toBe('0.0.0.0');
    expect(loadConfig({ IFREG_WATCH_HISTORY: '3' }).watchHistory).toBe(3);
  });
});
