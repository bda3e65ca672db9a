import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeInfo, type RegistryEvent } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { ANY } from '@ifreg/ports';
import { createLogger, createMetricsRegistry, type Registry } from '@ifreg/platform';
import { registerProjectionMetrics } from './metrics';
import { ReadModelService } from './read-model-service';

const AT = '2026-11-24T12:00:00.000Z';
const log = createLogger({ level: 'silent', name: 'metrics-spec' });

let dir: string;
let store: SqliteEventStore;
let service: ReadModelService;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-metrics-'));
  store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
  service = new ReadModelService(store, log);
});

afterEach(async () => {
  await service.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function registered(scope: string, ifIndex: number): RegistryEvent {
  const info = completeInfo({ friendlyName: `eth${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  return { type: 'InterfaceRegistered', scope, epoch: 0, ifIndex, luid: { ifType: 6, netLuidIndex: ifIndex }, providerId: 'p', providerIfContext: '', info: info.value, causationId: `${scope}-${ifIndex}`, at: AT };
}

async function record(scope: string, ...ifIndexes: number[]): Promise<number> {
  const events = ifIndexes.map((i) => registered(scope, i));
  return (await store.append(`registry-${scope}`, events.map((data) => ({ id: data.causationId, type: data.type, data })), ANY)).position;
}

/** The value of an unlabelled (apart from the default service label) metric in the text format. */
async function scrape(registry: Registry): Promise<(name: string) => number | undefined> {
  const text = await registry.metrics();
  return (name) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
}

describe('the projection metrics of a caught-up read model', () => {
  it('are right from the first scrape', async () => {
    // given
    await record('host-a', 1, 2, 3);
    const head = await record('host-b', 1);
    await service.start();
    const registry = createMetricsRegistry('test');
    registerProjectionMetrics(registry, service, store);
    // when
    const value = await scrape(registry);
    // then
    expect(value('ifreg_projection_position')).toBe(head);
    expect(value('ifreg_projection_scopes')).toBe(2);
    expect(value('ifreg_projection_interfaces')).toBe(4);
    expect(value('ifreg_projection_events_applied_total')).toBe(4);
    expect(value('ifreg_projection_lag_events')).toBe(0);
    expect(value('ifreg_projection_lag_seconds')).toBe(0);
  });

  it('count the events applied between scrapes once', async () => {
    await record('host-a', 1);
    await service.start();
    const registry = createMetricsRegistry('test');
    registerProjectionMetrics(registry, service, store);
    expect((await scrape(registry))('ifreg_projection_events_applied_total')).toBe(1);
    await service.waitFor(await record('host-a', 2, 3), 2000);
    const value = await scrape(registry);
    expect(value('ifreg_projection_events_applied_total')).toBe(3);
    expect(value('ifreg_projection_interfaces')).toBe(3);
  });
});

describe('the projection metrics of a read model behind the store', () => {
  it('show the events waiting and the age of the newest applied one', async () => {
    // given: a model that stopped following, and two events it has not seen
    await record('host-a', 1);
    await service.start();
    await service.stop();
    const applied = Date.parse(service.lastRecordedAt ?? '');
    await record('host-a', 2, 3);
    const registry = createMetricsRegistry('test');
    registerProjectionMetrics(registry, service, store, () => applied + 7_500);
    // when
    const value = await scrape(registry);
    // then
    expect(value('ifreg_projection_lag_events')).toBe(2);
    expect(value('ifreg_projection_lag_seconds')).toBe(7.5);
    expect(value('ifreg_projection_position')).toBe(1);
  });
});
