import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeInfo, type RegistryEvent } from '@ifreg/domain';
import { ANY, SqliteEventStore, type EventData } from '@ifreg/event-store';
import { createLogger } from '@ifreg/platform';
import { listInterfaces } from './queries';
import { PositionTimeoutError, ReadModelService } from './read-model-service';

const AT = '2026-11-24T12:00:00.000Z';
const log = createLogger({ level: 'silent', name: 'read-model-spec' });

let dir: string;
let store: SqliteEventStore;
let services: ReadModelService[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-read-model-'));
  store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
  services = [];
});

afterEach(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function readModel(): ReadModelService {
  const service = new ReadModelService(store, log);
  services.push(service);
  return service;
}

function registered(ifIndex: number, scope = 'host-a', epoch = 0): RegistryEvent {
  const info = completeInfo({ friendlyName: `eth${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  return {
    type: 'InterfaceRegistered',
    scope,
    epoch,
    ifIndex,
    luid: { ifType: 6, netLuidIndex: ifIndex },
    providerId: 'agent-linux',
    providerIfContext: '',
    info: info.value,
    causationId: `m-${scope}-${epoch}-${ifIndex}`,
    at: AT,
  };
}

const asData = (event: { type: string; causationId?: string }, id = `${event.causationId ?? 'x'}-0`): EventData => ({ id, type: event.type, data: event });

/** Appends events to the scope's stream as the registrar would; answers the position of the last. */
async function record(scope: string, ...events: RegistryEvent[]): Promise<number> {
  return (await store.append(`registry-${scope}`, events.map((e) => asData(e)), ANY)).position;
}

const ifIndexes = (service: ReadModelService, scope = 'host-a'): number[] => {
  const view = service.model.scopes.get(scope);
  return view ? listInterfaces(view).map((i) => i.ifIndex) : [];
};

describe('a read model started over an empty store', () => {
  it('is ready at position 0 with no scopes', async () => {
    const service = readModel();
    expect(service.ready).toBe(false);
    await service.start();
    expect(service.ready).toBe(true);
    expect(service.position).toBe(0);
    expect(service.model.scopes.size).toBe(0);
  });
});

describe('a read model started over a store with history', () => {
  it('has folded in every existing event when start() resolves', async () => {
    // given
    await record('host-a', registered(1), registered(2));
    const head = await record('host-b', registered(1, 'host-b'));
    const service = readModel();
    // when
    await service.start();
    // then
    expect(service.ready).toBe(true);
    expect(service.position).toBe(head);
    expect(ifIndexes(service, 'host-a')).toEqual([1, 2]);
    expect(ifIndexes(service, 'host-b')).toEqual([1]);
  });

  it('resets a scope at a BootEpochStarted in the history', async () => {
    await record('host-a', registered(1), registered(2));
    await record('host-a', { type: 'BootEpochStarted', scope: 'host-a', epoch: 1, causationId: 'boot-1', at: AT }, registered(1, 'host-a', 1));
    const service = readModel();
    await service.start();
    expect(service.model.scopes.get('host-a')?.epoch).toBe(1);
    expect(ifIndexes(service)).toEqual([1]);
  });
});

describe('a started read model', () => {
  it('follows events appended after it started', async () => {
    // given
    await record('host-a', registered(1));
    const service = readModel();
    await service.start();
    // when
    const position = await record('host-a', registered(2), registered(3));
    await service.waitFor(position, 2000);
    // then
    expect(service.position).toBe(position);
    expect(ifIndexes(service)).toEqual([1, 2, 3]);
  });

  it('follows events appended through another connection to the same file', async () => {
    const service = readModel();
    await service.start();
    const other = new SqliteEventStore({ path: join(dir, 'events.db') });
    try {
      const position = (await other.append('registry-host-c', [asData(registered(1, 'host-c'))], ANY)).position;
      await service.waitFor(position, 2000);
      expect(ifIndexes(service, 'host-c')).toEqual([1]);
    } finally {
      await other.close();
    }
  });

  it('answers waitFor at once for a position already reached', async () => {
    const position = await record('host-a', registered(1));
    const service = readModel();
    await service.start();
    await expect(service.waitFor(position, 0)).resolves.toBeUndefined();
    await expect(service.waitFor(0, 0)).resolves.toBeUndefined();
  });

  it('rejects waitFor with PositionTimeoutError for a position not reached in time', async () => {
    // given
    const position = await record('host-a', registered(1));
    const service = readModel();
    await service.start();
    // when
    const waiting = service.waitFor(position + 5, 30);
    // then
    await expect(waiting).rejects.toThrow(PositionTimeoutError);
    await expect(waiting).rejects.toMatchObject({ wanted: position + 5, reached: position, timeoutMs: 30 });
  });

  it('resolves a pending waitFor once the position is reached', async () => {
    const service = readModel();
    await service.start();
    const waiting = service.waitFor(2, 2000);
    await record('host-a', registered(1));
    await record('host-a', registered(2));
    await expect(waiting).resolves.toBeUndefined();
    expect(service.position).toBeGreaterThanOrEqual(2);
  });
});

describe('an unreadable event in the store', () => {
  it('is skipped and counted, and the events around it are folded in', async () => {
    // given: an event no registrar would write, between two good ones
    await record('host-a', registered(1));
    await store.append('registry-host-a', [{ id: 'garbage-0', type: 'InterfaceRegistered', data: { type: 'InterfaceRegistered', scope: 'host-a' } }], ANY);
    await store.append('registry-host-a', [{ id: 'unknown-0', type: 'SomethingNew', data: { type: 'SomethingNew' } }], ANY);
    const head = await record('host-a', registered(2));
    const service = readModel();
    // when
    await service.start();
    // then
    expect(service.skipped).toBe(2);
    expect(service.position).toBe(head);
    expect(ifIndexes(service)).toEqual([1, 2]);
  });

  it('as the last event, still advances the position so waitFor for it resolves', async () => {
    const service = readModel();
    await service.start();
    const position = (await store.append('registry-host-a', [{ id: 'garbage-1', type: 'X', data: null }], ANY)).position;
    await service.waitFor(position, 2000);
    expect(service.skipped).toBe(1);
    expect(service.ready).toBe(true);
    const next = await record('host-a', registered(1));
    await service.waitFor(next, 2000);
    expect(ifIndexes(service)).toEqual([1]);
  });
});

describe('a read model stopped', () => {
  it('no longer follows the store', async () => {
    const service = readModel();
    await service.start();
    await service.stop();
    await record('host-a', registered(1));
    await expect(service.waitFor(1, 60)).rejects.toThrow(PositionTimeoutError);
  });
});
