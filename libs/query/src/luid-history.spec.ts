import { completeInfo, type NetLuid, type RegistryEvent } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { ANY } from '@ifreg/ports';
import { LuidHistory, readHistoryPage } from './luid-history';

const AT = '2026-11-24T12:00:00.000Z';
const ETH = { ifType: 6, netLuidIndex: 7 };
const WLAN = { ifType: 71, netLuidIndex: 1 };

function registered(scope: string, ifIndex: number, luid: NetLuid, n: number): RegistryEvent {
  const info = completeInfo({ friendlyName: `if${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  return { type: 'InterfaceRegistered', scope, epoch: 0, ifIndex, luid, providerId: 'p', providerIfContext: '', info: info.value, causationId: `r-${scope}-${n}`, at: AT };
}
const removed = (scope: string, ifIndex: number, luid: NetLuid, n: number): RegistryEvent => ({
  type: 'InterfaceDeregistered', scope, epoch: 0, ifIndex, luid, providerId: 'p', causationId: `d-${scope}-${n}`, at: AT,
});

describe('the per-LUID index of positions', () => {
  it('keeps each LUID’s positions per scope, ignores scope-wide events and replays', () => {
    const history = new LuidHistory();
    history.add(registered('a', 1, ETH, 1), 1);
    history.add(registered('a', 2, WLAN, 2), 2);
    history.add(registered('b', 1, ETH, 3), 3);
    history.add({ type: 'BootEpochStarted', scope: 'a', epoch: 1, causationId: 'boot', at: AT }, 4);
    history.add({ type: 'RegistrationFailed', scope: 'a', epoch: 1, messageType: 'InterfaceDetected', status: 'INVALID_PARAMETER', reason: 'r', causationId: 'f', at: AT }, 5);
    history.add(registered('a', 1, ETH, 6), 6);
    history.add(registered('a', 1, ETH, 6), 6);
    expect(history.positions('a', ETH)).toEqual({ positions: [1, 6], complete: true });
    expect(history.positions('b', ETH)).toEqual({ positions: [3], complete: true });
    expect(history.positions('a', { ifType: 6, netLuidIndex: 8 })).toEqual({ positions: [], complete: true });
  });

  it('is bounded: the newest positions per LUID, the most recently touched LUIDs per scope, and says what it dropped', () => {
    const history = new LuidHistory({ perLuid: 3, luidsPerScope: 2 });
    for (let p = 1; p <= 5; p++) history.add(registered('a', 1, ETH, p), p);
    expect(history.positions('a', ETH)).toEqual({ positions: [3, 4, 5], complete: false });
    history.add(registered('a', 2, WLAN, 6), 6);
    history.add(registered('a', 3, { ifType: 6, netLuidIndex: 9 }, 7), 7);
    expect(history.positions('a', ETH)).toEqual({ positions: [], complete: false });
    expect(history.positions('a', WLAN)).toEqual({ positions: [6], complete: true });
  });
});

describe('a page of one LUID’s history, read from the store', () => {
  let store: SqliteEventStore;
  beforeEach(async () => {
    store = new SqliteEventStore({ path: ':memory:' });
    const events = [registered('a', 1, ETH, 1), registered('b', 1, ETH, 2), removed('a', 1, ETH, 3), registered('a', 1, WLAN, 4), registered('a', 2, ETH, 5)];
    for (const data of events) await store.append(`registry-${data.scope}`, [{ id: data.causationId, type: data.type, data }], ANY);
  });
  afterEach(() => store.close());

  it('reads the events at the kept positions, in pages', async () => {
    const first = await readHistoryPage(store, 'a', [1, 3, 5], 0, 2);
    expect(first.items.map((i) => [i.position, i.type, i.revision])).toEqual([
      [1, 'InterfaceRegistered', 0],
      [3, 'InterfaceDeregistered', 1],
    ]);
    expect(first.items[0]?.event).toMatchObject({ ifIndex: 1, luid: ETH, scope: 'a' });
    expect(first.next).toBe(3);
    const second = await readHistoryPage(store, 'a', [1, 3, 5], 3, 2);
    expect(second).toEqual({ items: [expect.objectContaining({ position: 5, type: 'InterfaceRegistered' })] });
  });

  it('leaves out a position that holds another stream’s event', async () => {
    expect((await readHistoryPage(store, 'a', [2, 5], 0, 10)).items.map((i) => i.position)).toEqual([5]);
  });
});
