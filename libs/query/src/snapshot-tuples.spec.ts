import { completeInfo, emptyReadModel, project, type RegistryEvent } from '@ifreg/domain';
import { interfaceFromTuple, interfaceTuple, luidIndexFromTuple, luidIndexTuple } from './snapshot-tuples';

const AT = '2026-11-24T12:00:00.000Z';

function modelWith(events: readonly RegistryEvent[]) {
  const model = emptyReadModel();
  events.forEach((event, i) => project(model, { event, position: i + 1 }));
  return model;
}

describe('snapshot tuples', () => {
  it('give back the interface the fold built, whatever values its information holds', () => {
    // given: one interface with every default and one with none (a known location, its own permanent address and GUIDs)
    const plain = completeInfo({ friendlyName: 'eth1' });
    const full = completeInfo({
      friendlyName: 'wan 2', flags: 3, physicalLocation: { busNumber: 1, slotNumber: 2, functionNumber: 3 }, wanTunnelType: 7, portNumber: 9,
      accessType: 'pointToPoint', directionType: 'sendOnly', connectionType: 'demand', connectorPresent: false,
      physAddress: '02:00:00:00:00:01', permanentPhysAddress: '02:00:00:00:00:02', interfaceGuid: '6f1c0006-0000-4000-8000-000000000006',
      networkGuid: '6f1c0006-0000-4000-8000-000000000007', supportedStatistics: 5, mediaType: 19, physicalMediumType: 20,
    });
    if (!plain.ok || !full.ok) throw new Error('bad test information');
    const model = modelWith([
      { type: 'InterfaceRegistered', scope: 'h', epoch: 0, ifIndex: 1, luid: { ifType: 6, netLuidIndex: 1 }, providerId: 'p', providerIfContext: '', info: plain.value, causationId: 'm1', at: AT },
      { type: 'InterfaceRegistered', scope: 'h', epoch: 0, ifIndex: 65535, luid: { ifType: 243, netLuidIndex: 16777215 }, providerId: 'q', providerIfContext: 'ctx ✓', info: full.value, causationId: 'm2', at: AT },
    ]);
    for (const view of model.scopes.get('h')?.interfaces.values() ?? []) {
      // when
      const back = interfaceFromTuple(interfaceTuple(view));
      // then: equal, field order included (the query routes' JSON follows it)
      expect(back).toEqual(view);
      expect(JSON.stringify(back)).toBe(JSON.stringify(view));
    }
    expect(model.scopes.get('h')?.interfaces.size).toBe(2);
  });

  it('give back a NetLuidIndex holding', () => {
    const model = modelWith([{ type: 'NetLuidIndexAllocated', scope: 'h', epoch: 0, luid: { ifType: 71, netLuidIndex: 42 }, providerId: 'p', causationId: 'a', at: AT }]);
    const [view] = model.scopes.get('h')?.luidIndexes.values() ?? [];
    if (view === undefined) throw new Error('no holding folded');
    expect(luidIndexFromTuple(luidIndexTuple(view))).toEqual(view);
    expect(JSON.stringify(luidIndexFromTuple(luidIndexTuple(view)))).toBe(JSON.stringify(view));
  });
});
