import { completeInfo, emptyReadModel, project, type RegistryEvent } from '@ifreg/domain';
import type { Change } from './changes';
import { LuidHistory } from './luid-history';
import { decodeReadModel, encodeReadModel } from './read-model-snapshot';

const AT = '2026-11-24T12:00:00.000Z';

function registered(ifIndex: number, scope: string): RegistryEvent {
  const info = completeInfo({ friendlyName: `eth${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  return { type: 'InterfaceRegistered', scope, epoch: 0, ifIndex, luid: { ifType: 6, netLuidIndex: ifIndex }, providerId: 'p', providerIfContext: '', info: info.value, causationId: `m-${ifIndex}`, at: AT };
}

const allocated = (index: number, scope: string): RegistryEvent => ({ type: 'NetLuidIndexAllocated', scope, epoch: 0, luid: { ifType: 6, netLuidIndex: index }, providerId: 'p', causationId: `a-${index}`, at: AT });

describe('a read model snapshot', () => {
  it('gives back the model, the LUID index and the changes, whatever the number of parts they were cut into', async () => {
    // given: maps of several hundred entries (written in parts of 100) in two scopes, and one nearly empty
    const model = emptyReadModel(5);
    const history = new LuidHistory({ perLuid: 1, luidsPerScope: 1_000 });
    let position = 0;
    const fold = (event: RegistryEvent): void => {
      position += 1;
      project(model, { event, position });
      history.add(event, position);
    };
    for (const scope of ['host-a', 'host-b']) {
      for (let i = 1; i <= 250; i++) fold(allocated(i, scope));
      for (let round = 0; round < 2; round++) for (let i = 1; i <= 230; i++) fold(registered(i, scope));
    }
    fold(allocated(1, 'host-c'));
    const changes: Change[] = Array.from({ length: 205 }, (_, i) => ({ kind: 'deregistered', scope: 'host-a', data: { ifIndex: i + 1 }, position: i + 1 }));
    // when
    const data = await encodeReadModel({ model, events: position, luids: history.state, changes: { horizon: 3, changes } }, () => Promise.resolve());
    const state = await decodeReadModel(data);
    // then
    expect(state.model).toEqual(model);
    expect(state.events).toBe(position);
    expect(state.luids).toEqual(history.state);
    expect(state.luids.get('host-a')?.truncated.size).toBe(230);
    expect(state.changes).toEqual({ horizon: 3, changes });
  });

  it('is refused when a part is missing', async () => {
    const model = emptyReadModel();
    for (let i = 1; i <= 150; i++) project(model, { event: registered(i, 'host-a'), position: i });
    const data = await encodeReadModel({ model, events: 150, luids: new Map(), changes: { horizon: 0, changes: [] } }, () => Promise.resolve());
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const whole = gunzipSync(data);
    await expect(decodeReadModel(gzipSync(whole.subarray(0, whole.length - 10)))).rejects.toThrow(/truncated|missing/);
  });
});
