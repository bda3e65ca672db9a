import { emptyReadModel, project, type ReadModel } from '@ifreg/domain';
import { listScopes, pageScopes } from './scope-pages';

const AT = '2026-11-24T12:00:00.000Z';

/** Scopes with a BootEpochStarted each, added in the given order. */
function modelWith(names: readonly string[]): ReadModel {
  const model = emptyReadModel();
  names.forEach((scope, i) => project(model, { event: { type: 'BootEpochStarted', scope, epoch: 1, causationId: `boot-${scope}`, at: AT }, position: i + 1 }));
  return model;
}

describe('pages of scopes', () => {
  const fleet = Array.from({ length: 250 }, (_, i) => `host-${String(i).padStart(3, '0')}`);
  const model = modelWith(['local', ...fleet.slice().reverse()]);
  const sorted = ['host-000', ...fleet.slice(1), 'local'];

  it('walks every scope once, in list order, with after = the previous next', () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = pageScopes(model, { limit: 40, after });
      expect(page.total).toBe(251);
      seen.push(...page.items.map((s) => s.scope));
      if (page.next === undefined) break;
      expect(page.items).toHaveLength(40);
      after = page.next;
    }
    expect(seen).toEqual(sorted);
    expect(listScopes(model).map((s) => s.scope)).toEqual(seen);
  });

  it('filters by a case-insensitive part of the name and counts all matches', () => {
    const page = pageScopes(model, { name: 'ST-24', limit: 3 });
    expect(page).toEqual({ items: ['host-240', 'host-241', 'host-242'].map((scope) => expect.objectContaining({ scope })), total: 10, next: 'host-242' });
    expect(pageScopes(model, { name: 'ST-24', after: 'host-242' }).items.map((s) => s.scope)).toEqual(['host-243', 'host-244', 'host-245', 'host-246', 'host-247', 'host-248', 'host-249']);
    expect(pageScopes(model, { name: 'nowhere' })).toEqual({ items: [], total: 0 });
  });

  it('answers one exact scope, or none', () => {
    expect(pageScopes(model, { scope: 'local' })).toEqual({ items: [{ scope: 'local', epoch: 1, interfaceCount: 0, lastChange: 1, lastChangeAt: AT }], total: 1 });
    expect(pageScopes(model, { scope: 'loca' })).toEqual({ items: [], total: 0 });
  });

  it('an after that is no scope starts after where it would sort; a scope added later is listed', () => {
    expect(pageScopes(model, { after: 'host-0995', limit: 1 }).items[0]?.scope).toBe('host-100');
    project(model, { event: { type: 'BootEpochStarted', scope: 'host-0995', epoch: 1, causationId: 'late', at: AT }, position: 1000 });
    expect(pageScopes(model, { after: 'host-099', limit: 1 }).items[0]?.scope).toBe('host-0995');
    expect(pageScopes(model, {}).total).toBe(252);
  });
});
