import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_OPTIONS, objectSetMessageIds } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { InProcessTransport } from '@ifreg/messaging';
import { type InboundMessage, type Outcome } from '@ifreg/ports';
import { createLogger, createMetricsRegistry } from '@ifreg/platform';
import { createRegistrarMetrics } from './metrics';
import { RegistrarService } from './registrar-service';
import { ScopeCache } from './scope-cache';

/*
 * Set-recording messages through the registrar as any other message: decided, appended once
 * per derived message id, and a retry answered from the store even after the window forgot it.
 */

const log = createLogger({ level: 'silent', name: 'object-sets-spec' });
let dir: string;
let store: SqliteEventStore;
let outcomes: Outcome[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-object-sets-'));
  store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
  outcomes = [];
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function registrar(dedupeWindow: number): RegistrarService {
  const transport = new InProcessTransport();
  transport.onOutcome((o) => outcomes.push(o));
  return new RegistrarService({
    store,
    scopes: new ScopeCache(store, { ...DEFAULT_OPTIONS, dedupeWindow }, log),
    outcomes: transport,
    deadLetters: transport,
    log,
    metrics: createRegistrarMetrics(createMetricsRegistry('test')),
    now: () => new Date('2026-12-05T12:00:00.000Z'),
  });
}

const set = (kind: 'request' | 'answer', requestId: string): InboundMessage => {
  const ids = objectSetMessageIds(requestId);
  const body = {
    type: kind === 'request' ? 'ObjectSetRequested' : 'ObjectSetAnswered',
    schemaVersion: 1,
    messageId: ids[kind],
    scope: 'host-a',
    providerId: 'agent-linux',
    luid: { ifType: 6, netLuidIndex: 1 },
    ifIndex: 1,
    oid: { value: 0x00010289, name: 'OID_GEN_ALIAS' },
    value: 'uplink',
    requestId,
    caller: 'address:127.0.0.1',
    ...(kind === 'answer' ? { status: 'SUCCESS' } : {}),
  };
  return { key: 'host-a', value: Buffer.from(JSON.stringify(body)), headers: {}, origin: { transport: 'test' } };
};

const detection = (n: number): InboundMessage => ({
  key: 'host-a',
  value: Buffer.from(JSON.stringify({ type: 'BootEpoch', schemaVersion: 1, messageId: `boot-${n}`, scope: 'host-a' })),
  headers: {},
  origin: { transport: 'test' },
});

describe('a set retried with the same request id', () => {
  it('is recorded once, and its retry is answered with the recorded answer', async () => {
    const service = registrar(1000);
    await service.handleBatch([set('request', 'r-1'), set('answer', 'r-1')]);
    await service.handleBatch([set('request', 'r-1'), set('answer', 'r-1')]);
    const types = (await store.readStream('registry-host-a')).map((e) => e.type);
    expect(types).toEqual(['InterfaceObjectSetRequested', 'InterfaceObjectSetAnswered']);
    expect(outcomes.map((o) => o.event.type)).toEqual(['InterfaceObjectSetRequested', 'InterfaceObjectSetAnswered', 'InterfaceObjectSetAnswered', 'InterfaceObjectSetAnswered']);
  });

  it('is recorded once after the window forgot it, by a registrar that starts afresh', async () => {
    await registrar(1000).handleBatch([set('request', 'r-2'), set('answer', 'r-2')]);
    const fresh = registrar(1000);
    // 1,001 other messages push r-2 out of the fresh registrar's window.
    await fresh.handleBatch(Array.from({ length: 1001 }, (_, n) => detection(n)));
    await fresh.handleBatch([set('request', 'r-2'), set('answer', 'r-2')]);
    const sets = (await store.readStream('registry-host-a')).filter((e) => e.type.startsWith('InterfaceObjectSet'));
    expect(sets).toHaveLength(2);
    expect(outcomes.at(-1)?.event).toMatchObject({ type: 'InterfaceObjectSetAnswered', requestId: 'r-2' });
  });
});
