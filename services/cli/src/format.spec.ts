import type { InterfacesAnswer } from './api';
import { changeLine, interfacesTable, table } from './format';
import { interfaceRefKind } from './commands/read';

describe('a table', () => {
  it('aligns columns on the widest cell, numbers to the right, with a rule under the header', () => {
    expect(table(['Idx', 'Name'], [[1, 'lo'], [12, 'ethernet0']], [0]).split('\n')).toEqual(['Idx  Name', '---  ---------', '  1  lo', ' 12  ethernet0']);
  });
});

describe('the interface list', () => {
  const answer: InterfacesAnswer = {
    scope: 'local',
    epoch: 2,
    position: 40,
    next: 3,
    items: [
      {
        ifIndex: 3,
        luid: { ifType: 6, netLuidIndex: 32768, value: '0x0006008000000000', name: 'ethernet_32768' },
        providerId: 'agent-linux',
        providerIfContext: '',
        epoch: 2,
        registeredAt: '2026-11-24T12:00:00.000Z',
        info: { friendlyName: 'eth0', physAddress: '', flags: 0 } as never,
      },
    ],
  };

  it('says which scope and epoch, shows "-" for no MAC address, and how to get the next page', () => {
    expect(interfacesTable(answer).split('\n')).toEqual([
      'scope local, epoch 2, position 40: 1 interface',
      'Idx  Name  LUID            Type  MAC address  Provider     Registered',
      '---  ----  --------------  ----  -----------  -----------  ------------------------',
      '  3  eth0  ethernet_32768     6  -            agent-linux  2026-11-24T12:00:00.000Z',
      'more: --after 3',
    ]);
  });
});

describe('a watched change', () => {
  const luid = { ifType: 6, netLuidIndex: 1, value: '0x0006000001000000', name: 'ethernet_1' };
  it('is one line per kind', () => {
    expect(changeLine({ position: 7, scope: 'a', kind: 'registered', data: { ifIndex: 1, luid, providerId: 'p', info: { friendlyName: 'eth0' } } })).toBe('7  a  registered  ifIndex 1  eth0  ethernet_1  by p');
    expect(changeLine({ position: 8, scope: 'a', kind: 'deregistered', data: { ifIndex: 1, luid, providerId: 'p' } })).toBe('8  a  deregistered  ifIndex 1  ethernet_1  by p');
    expect(changeLine({ position: 9, scope: 'a', kind: 'failed', data: { status: 'RESOURCES', messageType: 'InterfaceDetected', reason: 'full' } })).toBe('9  a  failed  RESOURCES  InterfaceDetected: full');
    expect(changeLine({ position: 10, scope: 'a', kind: 'reset', data: { epoch: 3, bootId: 'b' } })).toBe('10  a  reset  epoch 3  boot b');
  });
});

describe('the interface argument of `ifreg get`', () => {
  it.each([
    ['7', 'ifIndex'],
    ['0x0006008000000000', 'luid'],
    ['ethernet_32768', 'luid'],
    ['iftype53_2', 'luid'],
    ['eth0', 'name'],
    ['veth_1', 'name'],
    ['Local Area Connection', 'name'],
  ])('%s is read as %s', (ref, kind) => {
    expect(interfaceRefKind(ref)).toBe(kind);
  });
});
