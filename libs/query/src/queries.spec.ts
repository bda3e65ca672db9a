import {
  completeInfo,
  emptyReadModel,
  project,
  type InterfaceView,
  type NetLuid,
  type ReadModel,
  type RegistryEvent,
  type ScopeView,
} from '@ifreg/domain';
import { findByLuid, listInterfaces } from './queries';
import { listScopes } from './scope-pages';

const AT = '2026-11-24T12:00:00.000Z';

function registered(scope: string, ifIndex: number, luid: NetLuid, providerId: string, friendlyName: string): RegistryEvent {
  const info = completeInfo({ friendlyName });
  if (!info.ok) throw new Error(info.reason);
  return { type: 'InterfaceRegistered', scope, epoch: 0, ifIndex, luid, providerId, providerIfContext: '', info: info.value, causationId: `reg-${scope}-${ifIndex}`, at: AT };
}

const deregistered = (scope: string, ifIndex: number, luid: NetLuid, providerId: string): RegistryEvent => ({
  type: 'InterfaceDeregistered',
  scope,
  epoch: 0,
  ifIndex,
  luid,
  providerId,
  causationId: `dereg-${scope}-${ifIndex}`,
  at: AT,
});

const ETH0 = { ifType: 6, netLuidIndex: 32768 };
const WLAN0 = { ifType: 71, netLuidIndex: 5 };
const LO = { ifType: 24, netLuidIndex: 0 };
const ETH1 = { ifType: 6, netLuidIndex: 7 };
const TUN0 = { ifType: 131, netLuidIndex: 1 };
const VPN1 = { ifType: 131, netLuidIndex: 2 };

/** host-a: ifIndexes 1, 2, 3, 5, 6 live (4 came and went); host-b: one interface. */
function sampleModel(): ReadModel {
  const events: RegistryEvent[] = [
    registered('host-a', 1, LO, 'agent-linux', 'lo'),
    registered('host-a', 2, ETH0, 'agent-linux', 'eth0'),
    registered('host-b', 1, ETH0, 'agent-linux', 'eth0'),
    registered('host-a', 3, WLAN0, 'agent-linux', 'wlan0'),
    registered('host-a', 4, TUN0, 'vpn', 'tun0'),
    registered('host-a', 5, ETH1, 'agent-linux', 'eth1'),
    deregistered('host-a', 4, TUN0, 'vpn'),
    registered('host-a', 6, VPN1, 'vpn', 'corp vpn'),
  ];
  const model = emptyReadModel();
  events.forEach((event, i) => project(model, { event, position: i + 1 }));
  return model;
}

function scopeOf(model: ReadModel, scope: string): ScopeView {
  const view = model.scopes.get(scope);
  if (!view) throw new Error(`no scope ${scope}`);
  return view;
}

const indexes = (items: readonly InterfaceView[]): number[] => items.map((i) => i.ifIndex);

describe('listing the scopes of a read model', () => {
  it('gives each scope its epoch, interface count and last change, sorted by scope', () => {
    expect(listScopes(sampleModel())).toEqual([
      { scope: 'host-a', epoch: 0, interfaceCount: 5, lastChange: 8, lastChangeAt: AT },
      { scope: 'host-b', epoch: 0, interfaceCount: 1, lastChange: 3, lastChangeAt: AT },
    ]);
  });

  it('is empty for an empty model', () => {
    expect(listScopes(emptyReadModel())).toEqual([]);
  });
});

describe('listing the interfaces of a scope without a filter', () => {
  it('gives every live interface, sorted by ifIndex, with its LUID value and name', () => {
    const items = listInterfaces(scopeOf(sampleModel(), 'host-a'));
    expect(indexes(items)).toEqual([1, 2, 3, 5, 6]);
    expect(items[1]?.luid).toEqual({ ifType: 6, netLuidIndex: 32768, value: '0x0006008000000000', name: 'ethernet_32768' });
  });
});

describe('listing the interfaces of a scope with a filter', () => {
  const view = (): ScopeView => scopeOf(sampleModel(), 'host-a');

  it.each<[string, Parameters<typeof listInterfaces>[1], number[]]>([
    ['ifType 6', { ifType: 6 }, [2, 5]],
    ['ifType 131', { ifType: 131 }, [6]],
    ['an ifType no interface has', { ifType: 23 }, []],
    ['providerId vpn', { providerId: 'vpn' }, [6]],
    ['providerId agent-linux', { providerId: 'agent-linux' }, [1, 2, 3, 5]],
    ['a friendly name', { name: 'wlan0' }, [3]],
    ['a friendly name with a space', { name: 'corp vpn' }, [6]],
    ['a LUID name', { name: 'ethernet_32768' }, [2]],
    ['the loopback LUID name', { name: 'loopback_0' }, [1]],
    ['a name nobody has', { name: 'eth9' }, []],
    ['ifType and providerId together', { ifType: 6, providerId: 'vpn' }, []],
    ['ifType and a name together', { ifType: 6, name: 'eth1' }, [5]],
  ])('keeps only the matching ones, given %s', (_, filter, expected) => {
    expect(indexes(listInterfaces(view(), filter))).toEqual(expected);
  });
});

describe('paging through the interfaces of a scope with after and limit', () => {
  it('walks every interface once, in ifIndex order, across the gap a deregistration left', () => {
    // given
    const view = scopeOf(sampleModel(), 'host-a');
    // when
    const pages: number[][] = [];
    let after = 0;
    for (;;) {
      const page = listInterfaces(view, { after, limit: 2 });
      if (page.length === 0) break;
      pages.push(indexes(page));
      after = page.at(-1)!.ifIndex;
    }
    // then
    expect(pages).toEqual([[1, 2], [3, 5], [6]]);
  });

  it('stays stable when an interface before the cursor goes away between pages', () => {
    // given
    const model = sampleModel();
    const first = listInterfaces(scopeOf(model, 'host-a'), { limit: 2 });
    // when
    project(model, { event: deregistered('host-a', 1, LO, 'agent-linux'), position: 9 });
    const second = listInterfaces(scopeOf(model, 'host-a'), { after: first.at(-1)!.ifIndex, limit: 2 });
    // then
    expect(indexes(second)).toEqual([3, 5]);
  });

  it('counts only the matching interfaces against the limit', () => {
    const view = scopeOf(sampleModel(), 'host-a');
    expect(indexes(listInterfaces(view, { providerId: 'agent-linux', after: 1, limit: 2 }))).toEqual([2, 3]);
    expect(indexes(listInterfaces(view, { providerId: 'agent-linux', after: 3, limit: 2 }))).toEqual([5]);
  });

  it('answers nothing after the last ifIndex', () => {
    expect(listInterfaces(scopeOf(sampleModel(), 'host-a'), { after: 6 })).toEqual([]);
  });
});

describe('finding an interface by LUID', () => {
  const view = (): ScopeView => scopeOf(sampleModel(), 'host-a');

  it.each([
    ['its hex value', '0x0006008000000000'],
    ['its hex value in upper case', '0x0006008000000000'.toUpperCase().replace('0X', '0x')],
    ['its hex value without leading zeros', '0x6008000000000'],
    ['its decimal value', String((6n << 48n) | (32768n << 24n))],
    ['its name', 'ethernet_32768'],
  ])('finds it by %s', (_, text) => {
    const found = findByLuid(view(), text);
    expect(found).toEqual({ ok: true, value: expect.objectContaining({ ifIndex: 2, providerId: 'agent-linux' }) });
  });

  it('finds a type without a Windows name by its iftype<N>_<index> name', () => {
    expect(findByLuid(view(), 'tunnel_2')).toMatchObject({ ok: true, value: { ifIndex: 6 } });
    expect(findByLuid(view(), 'iftype131_2')).toMatchObject({ ok: true, value: { ifIndex: 6 } });
  });

  it('answers ok with no interface for a well-formed LUID nobody registered', () => {
    expect(findByLuid(view(), 'ethernet_1')).toEqual({ ok: true, value: undefined });
  });

  it('answers ok with no interface for a LUID that was deregistered', () => {
    expect(findByLuid(view(), 'tunnel_1')).toEqual({ ok: true, value: undefined });
  });

  it.each([
    ['a Linux interface name', 'eth0', /neither a NET_LUID value .* nor a name like ethernet_32768/],
    ['an unknown type name', 'bogus_1', /unknown interface type name 'bogus'/],
    ['a value with reserved bits set', '0x0006008000000001', /reserved bits/],
    ['a NetLuidIndex over 24 bits', 'ethernet_16777216', /luid\.netLuidIndex/],
    ['an empty text', '', /neither a NET_LUID value/],
  ])('answers ok:false with the reason for %s', (_, text, reason) => {
    const found = findByLuid(view(), text);
    expect(found.ok).toBe(false);
    expect(found.ok ? undefined : found.reason).toMatch(reason);
  });
});
