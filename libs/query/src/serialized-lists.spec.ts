import { completeInfo, emptyReadModel, project, type ReadModel, type RegistryEvent, type ScopeView } from '@ifreg/domain';
import { SerializedLists, listInterfaces } from './queries';

const AT = '2026-11-24T12:00:00.000Z';

function registered(scope: string, ifIndex: number, providerId = 'p'): RegistryEvent {
  const info = completeInfo({ friendlyName: `eth${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  const luid = { ifType: 6, netLuidIndex: ifIndex };
  return { type: 'InterfaceRegistered', scope, epoch: 0, ifIndex, luid, providerId, providerIfContext: '', info: info.value, causationId: `r-${scope}-${ifIndex}`, at: AT };
}

const deregistered = (scope: string, ifIndex: number): RegistryEvent => ({
  type: 'InterfaceDeregistered', scope, epoch: 0, ifIndex, luid: { ifType: 6, netLuidIndex: ifIndex }, providerId: 'p', causationId: `d-${scope}-${ifIndex}`, at: AT,
});

function apply(model: ReadModel, ...events: RegistryEvent[]): void {
  for (const event of events) project(model, { event, position: model.position + 1 });
}

const view = (model: ReadModel, scope: string): ScopeView => {
  const found = model.scopes.get(scope);
  if (!found) throw new Error(`no scope ${scope}`);
  return found;
};
const indexes = (items: readonly { ifIndex: number }[]): number[] => items.map((i) => i.ifIndex);

describe('listing a scope that changes between two lists', () => {
  it('shows the change (the sorted indexes are not kept across a change)', () => {
    const model = emptyReadModel();
    apply(model, registered('a', 5), registered('a', 2), registered('a', 9));
    expect(indexes(listInterfaces(view(model, 'a')))).toEqual([2, 5, 9]);
    apply(model, deregistered('a', 5), registered('a', 7));
    expect(indexes(listInterfaces(view(model, 'a')))).toEqual([2, 7, 9]);
    expect(indexes(listInterfaces(view(model, 'a'), { after: 2, limit: 1 }))).toEqual([7]);
  });
});

describe('the serialised whole lists', () => {
  it('are the JSON of the list, refreshed when the scope changes', () => {
    const model = emptyReadModel();
    const lists = new SerializedLists();
    apply(model, registered('a', 3), registered('a', 1));
    expect(lists.itemsJson(view(model, 'a'))).toBe(JSON.stringify(listInterfaces(view(model, 'a'))));
    apply(model, registered('a', 2));
    expect(JSON.parse(lists.itemsJson(view(model, 'a')))).toHaveLength(3);
    expect(lists.itemsJson(view(model, 'a'))).toBe(JSON.stringify(listInterfaces(view(model, 'a'))));
  });

  it('keep at most the given number of scopes and still answer the others', () => {
    const model = emptyReadModel();
    const lists = new SerializedLists(1);
    apply(model, registered('a', 1), registered('b', 1), registered('b', 2));
    expect(JSON.parse(lists.itemsJson(view(model, 'a')))).toHaveLength(1);
    expect(JSON.parse(lists.itemsJson(view(model, 'b')))).toHaveLength(2);
    expect(JSON.parse(lists.itemsJson(view(model, 'a')))).toHaveLength(1);
  });
});

describe('the serialised single interfaces (pages, GET one)', () => {
  it('are the JSON of the items, and a re-registered ifIndex shows its new content', () => {
    const model = emptyReadModel();
    const lists = new SerializedLists();
    apply(model, registered('a', 1), registered('a', 2), registered('a', 3));
    const page = listInterfaces(view(model, 'a'), { after: 1, limit: 2 });
    expect(lists.listJson('{"items":', page, ',"next":3}').toString()).toBe(JSON.stringify({ items: page, next: 3 }));
    expect(lists.listJson('', [], '').toString()).toBe('[]');
    expect(lists.itemWith('"scope":"a","position":7', page[0]!)).toBe(JSON.stringify({ scope: 'a', position: 7, ...page[0] }));
    apply(model, deregistered('a', 2), registered('a', 2, 'other'));
    const again = listInterfaces(view(model, 'a'), { after: 1, limit: 2 });
    expect(lists.listJson('', again, '').toString()).toBe(JSON.stringify(again));
    expect(JSON.parse(lists.itemJson(view(model, 'a').interfaces.get(2)!).toString())).toMatchObject({ providerId: 'other' });
  });

  it('keep at most the given number of bytes, dropping the oldest, and still answer', () => {
    const model = emptyReadModel();
    apply(model, ...Array.from({ length: 50 }, (_, i) => registered('a', i + 1)));
    const items = listInterfaces(view(model, 'a'));
    const one = JSON.stringify(items[0]).length;
    const lists = new SerializedLists(4, one * 10);
    expect(lists.listJson('', items, '').toString()).toBe(JSON.stringify(items));
    expect(lists.itemBytes).toBeLessThanOrEqual(one * 10);
    expect(lists.itemBytes).toBeGreaterThan(one * 5);
    expect(lists.itemJson(items[0]!).toString()).toBe(JSON.stringify(items[0]));
  });
});
