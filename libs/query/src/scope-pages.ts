import type { ReadModel, ScopeView } from '@ifreg/domain';

export interface ScopeSummary {
  readonly scope: string;
  readonly epoch: number;
  readonly interfaceCount: number;
  readonly lastChange: number;
  readonly lastChangeAt: string | undefined;
}

export function summaryOf(view: ScopeView): ScopeSummary {
  return { scope: view.scope, epoch: view.epoch, interfaceCount: view.interfaces.size, lastChange: view.lastChange, lastChangeAt: view.lastChangeAt };
}

export interface ScopePageQuery {
  /** Case-insensitive part of the scope name. */
  readonly name?: string;
  /** Exactly this scope (zero or one item). */
  readonly scope?: string;
  /** Paging: only scopes sorted after this name. */
  readonly after?: string;
  readonly limit?: number;
}

export interface ScopePage {
  readonly items: ScopeSummary[];
  /** Scopes that match the filters, over all pages. */
  readonly total: number;
  /** Pass as `after` for the next page; absent on the last one. */
  readonly next?: string;
}

// The order of String.prototype.localeCompare (the list's order before paging), but one
// collator for all comparisons instead of one lookup per call.
const collator = new Intl.Collator();

/**
 * Scope names in list order, sorted again only when a scope was added (scopes are never
 * removed, so the count tells). Sorting 100,000 names takes tens of milliseconds: once per
 * new scope, not once per request. Keyed by the map (a rebuilt model brings a new one).
 */
const sortedNames = new WeakMap<ReadonlyMap<string, unknown>, readonly string[]>();

export function scopeNames(model: ReadModel): readonly string[] {
  const cached = sortedNames.get(model.scopes);
  if (cached?.length === model.scopes.size) return cached;
  const names = [...model.scopes.keys()].sort(collator.compare);
  sortedNames.set(model.scopes, names);
  return names;
}

/** Position in `names` of the first name sorted after `after` (binary search). */
function firstAfter(names: readonly string[], after: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (collator.compare(names[mid] ?? '', after) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** One page of scopes in list order, filtered by name; `total` counts every match. */
export function pageScopes(model: ReadModel, query: ScopePageQuery): ScopePage {
  if (query.scope !== undefined) {
    const view = model.scopes.get(query.scope);
    const items = view && (query.name === undefined || view.scope.toLowerCase().includes(query.name.toLowerCase())) ? [summaryOf(view)] : [];
    return { items, total: items.length };
  }
  const names = scopeNames(model);
  const part = query.name?.toLowerCase();
  const matches = part === undefined || part === '' ? undefined : (name: string) => name.toLowerCase().includes(part);
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  const start = query.after === undefined ? 0 : firstAfter(names, query.after);
  const items: ScopeSummary[] = [];
  let more = false;
  for (let i = start; i < names.length; i++) {
    const name = names[i] ?? '';
    if (matches && !matches(name)) continue;
    if (items.length >= limit) {
      more = true;
      break;
    }
    const view = model.scopes.get(name);
    if (view) items.push(summaryOf(view));
  }
  const total = matches ? names.reduce((n, name) => (matches(name) ? n + 1 : n), 0) : names.length;
  const last = items.at(-1);
  return { items, total, ...(more && last ? { next: last.scope } : {}) };
}

/** Every scope, sorted by name (localeCompare order). */
export function listScopes(model: ReadModel): ScopeSummary[] {
  return pageScopes(model, {}).items;
}
