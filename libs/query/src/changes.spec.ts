import { applyToScope, completeInfo, emptyScope, type RegistryEvent, type ScopeView } from '@ifreg/domain';
import { ChangeLog, changeOf, type Change } from './changes';

const AT = '2026-11-24T12:00:00.000Z';
const ETH1 = { ifType: 6, netLuidIndex: 1 };
const ETH2 = { ifType: 6, netLuidIndex: 2 };

const change = (position: number, scope = 'host-a', kind: Change['kind'] = 'registered'): Change => ({ position, scope, kind, data: { position } });
const positions = (changes: readonly Change[] | undefined): number[] | undefined => changes?.map((c) => c.position);

function registered(ifIndex: number, luid = ETH1, epoch = 0): RegistryEvent {
  const info = completeInfo({ friendlyName: `eth${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  return { type: 'InterfaceRegistered', scope: 'host-a', epoch, ifIndex, luid, providerId: 'agent-linux', providerIfContext: '', info: info.value, causationId: `reg-${ifIndex}-${epoch}`, at: AT };
}

const deregistered = (ifIndex: number, luid = ETH1, epoch = 0): RegistryEvent => ({
  type: 'InterfaceDeregistered',
  scope: 'host-a',
  epoch,
  ifIndex,
  luid,
  providerId: 'agent-linux',
  causationId: `dereg-${ifIndex}-${epoch}`,
  at: AT,
});

const failed = (epoch = 0): RegistryEvent => ({
  type: 'RegistrationFailed',
  scope: 'host-a',
  epoch,
  messageType: 'InterfaceDetected',
  luid: ETH2,
  status: 'INTERFACE_EXISTS',
  reason: 'ethernet_2 is already registered',
  causationId: 'fail-1',
  at: AT,
});

const bootEpoch = (epoch: number): RegistryEvent => ({ type: 'BootEpochStarted', scope: 'host-a', epoch, bootId: `boot-${epoch}`, causationId: `boot-${epoch}`, at: AT });

/** Folds the events at positions 1, 2, … into a fresh scope view, as the read model does. */
function viewAfter(...events: RegistryEvent[]): ScopeView {
  const view = emptyScope('host-a');
  events.forEach((event, i) => applyToScope(view, event, i + 1, 100));
  return view;
}

/** The change the last of `events` made, read after folding them all. */
function lastChange(...events: RegistryEvent[]): Change | undefined {
  const view = viewAfter(...events);
  return changeOf(events.at(-1)!, events.length, view);
}

describe('a change log under its capacity', () => {
  it('answers every change after a position, in order', () => {
    const log = new ChangeLog(10);
    [3, 5, 8].forEach((p) => log.add(change(p)));
    expect(positions(log.since(0))).toEqual([3, 5, 8]);
    expect(positions(log.since(4))).toEqual([5, 8]);
    expect(positions(log.since(8))).toEqual([]);
    expect(positions(log.since(100))).toEqual([]);
    expect(log.oldestServable).toBe(0);
  });

  it('keeps only the changes of the scope asked for', () => {
    const log = new ChangeLog(10);
    log.add(change(1, 'host-a'));
    log.add(change(2, 'host-b'));
    log.add(change(3, 'host-a'));
    expect(positions(log.since(0, 'host-a'))).toEqual([1, 3]);
    expect(positions(log.since(0, 'host-b'))).toEqual([2]);
    expect(positions(log.since(0, 'host-c'))).toEqual([]);
    expect(positions(log.since(0))).toEqual([1, 2, 3]);
  });
});

describe('a change log over its capacity', () => {
  const full = (): ChangeLog => {
    const log = new ChangeLog(3);
    [2, 4, 6, 8, 10].forEach((p) => log.add(change(p)));
    return log;
  };

  it('keeps the last N changes', () => {
    expect(positions(full().since(4))).toEqual([6, 8, 10]);
  });

  it('answers undefined (too old, relist) for a position below the newest dropped change', () => {
    const log = full();
    expect(log.oldestServable).toBe(4);
    expect(log.since(3)).toBeUndefined();
    expect(log.since(0)).toBeUndefined();
  });

  it('still serves a position between the dropped and the kept changes', () => {
    expect(positions(full().since(5))).toEqual([6, 8, 10]);
  });

  it('answers the changes after any kept position, wherever the ring has wrapped', () => {
    for (let added = 3; added <= 7; added++) {
      const log = new ChangeLog(3);
      const all = Array.from({ length: added }, (_, i) => 2 * (i + 1));
      all.forEach((p) => log.add(change(p)));
      const kept = all.slice(-3);
      for (let from = log.oldestServable; from <= all.at(-1)! + 1; from++) {
        expect({ added, from, got: positions(log.since(from)) }).toEqual({ added, from, got: kept.filter((p) => p > from) });
      }
    }
  });

  it('answers undefined for an old position whatever the scope', () => {
    expect(full().since(0, 'host-z')).toBeUndefined();
  });
});

describe('a change log of capacity 0', () => {
  it('serves only the live position on', () => {
    const log = new ChangeLog(0);
    log.add(change(7));
    expect(log.since(6)).toBeUndefined();
    expect(log.since(7)).toEqual([]);
  });
});

describe('a change log reset after a rebuild', () => {
  it('forgets its changes and serves only from the reset position on', () => {
    const log = new ChangeLog(10);
    [1, 2, 3].forEach((p) => log.add(change(p)));
    log.reset(3);
    expect(log.since(2)).toBeUndefined();
    expect(log.since(3)).toEqual([]);
    log.add(change(4));
    expect(positions(log.since(3))).toEqual([4]);
  });
});

describe('the change an event made to its scope', () => {
  it('is registered, with the interface as the read model shows it', () => {
    const view = viewAfter(registered(1));
    expect(changeOf(registered(1), 1, view)).toEqual({ position: 1, scope: 'host-a', kind: 'registered', data: view.interfaces.get(1) });
    expect(view.interfaces.get(1)).toMatchObject({ ifIndex: 1, luid: { value: '0x0006000001000000', name: 'ethernet_1' } });
  });

  it('is deregistered, with the ifIndex and the LUID value and name', () => {
    expect(lastChange(registered(1), deregistered(1))).toEqual({
      position: 2,
      scope: 'host-a',
      kind: 'deregistered',
      data: { ifIndex: 1, luid: { ...ETH1, value: '0x0006000001000000', name: 'ethernet_1' }, providerId: 'agent-linux', at: AT },
    });
  });

  it('is failed, with the failure as the failures list shows it', () => {
    const view = viewAfter(registered(1), failed());
    expect(changeOf(failed(), 2, view)).toEqual({ position: 2, scope: 'host-a', kind: 'failed', data: view.failures.at(-1) });
    expect(view.failures.at(-1)).toMatchObject({ status: 'INTERFACE_EXISTS', position: 2 });
  });

  it('is reset for a BootEpochStarted, with the new epoch and boot id', () => {
    expect(lastChange(registered(1), bootEpoch(1))).toEqual({ position: 2, scope: 'host-a', kind: 'reset', data: { epoch: 1, bootId: 'boot-1', at: AT } });
  });

  it('is none for an InterfaceRedetected: nothing changed', () => {
    const redetected: RegistryEvent = { type: 'InterfaceRedetected', scope: 'host-a', epoch: 0, ifIndex: 1, luid: ETH1, providerId: 'agent-linux', causationId: 'again', at: AT };
    expect(lastChange(registered(1), redetected)).toBeUndefined();
  });

  it('is none for NetLuidIndex allocations: the interface list did not change', () => {
    const allocated: RegistryEvent = { type: 'NetLuidIndexAllocated', scope: 'host-a', epoch: 0, luid: ETH2, providerId: 'agent-linux', causationId: 'alloc', at: AT };
    const freed: RegistryEvent = { ...allocated, type: 'NetLuidIndexFreed', causationId: 'free' };
    expect(lastChange(allocated)).toBeUndefined();
    expect(lastChange(allocated, freed)).toBeUndefined();
  });

  it('is none for a registration of another epoch, which the scope ignored', () => {
    expect(lastChange(bootEpoch(1), registered(1, ETH1, 0))).toBeUndefined();
  });

  it('is none for a deregistration of another epoch', () => {
    expect(lastChange(registered(1), bootEpoch(1), deregistered(1, ETH1, 0))).toBeUndefined();
  });

  it('is none for an event of a scope the read model does not have', () => {
    expect(changeOf(registered(1), 1, undefined)).toBeUndefined();
    expect(changeOf(deregistered(1), 1, undefined)).toBeUndefined();
    expect(changeOf(failed(), 1, undefined)).toBeUndefined();
  });

  it('is none for a failure the scope did not record at that position', () => {
    const view = viewAfter(failed());
    expect(changeOf(failed(), 5, view)).toBeUndefined();
  });
});
