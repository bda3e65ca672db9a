import { luidHex, parseLuid, type Checked, type InterfaceView, type ReadModel, type ScopeView } from '@ifreg/domain';

export interface ScopeSummary {
  readonly scope: string;
  readonly epoch: number;
  readonly interfaceCount: number;
  readonly lastChange: number;
  readonly lastChangeAt: string | undefined;
}

export interface InterfaceFilter {
  readonly ifType?: number;
  readonly providerId?: string;
  readonly name?: string;
  /** Paging: only interfaces with ifIndex greater than this. */
  readonly after?: number;
  readonly limit?: number;
}

export function listScopes(model: ReadModel): ScopeSummary[] {
  return [...model.scopes.values()]
    .map((view) => ({
      scope: view.scope,
      epoch: view.epoch,
      interfaceCount: view.interfaces.size,
      lastChange: view.lastChange,
      lastChangeAt: view.lastChangeAt,
    }))
    .sort((a, b) => a.scope.localeCompare(b.scope));
}

/** Interfaces sorted by ifIndex; paging by ifIndex is stable while interfaces come and go. */
export function listInterfaces(view: ScopeView, filter: InterfaceFilter = {}): InterfaceView[] {
  const limit = filter.limit ?? Number.POSITIVE_INFINITY;
  const after = filter.after ?? 0;
  const out: InterfaceView[] = [];
  for (const ifIndex of [...view.interfaces.keys()].sort((a, b) => a - b)) {
    if (ifIndex <= after) continue;
    const item = view.interfaces.get(ifIndex);
    if (!item || !matches(item, filter)) continue;
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

function matches(item: InterfaceView, filter: InterfaceFilter): boolean {
  return (
    (filter.ifType === undefined || item.luid.ifType === filter.ifType) &&
    (filter.providerId === undefined || item.providerId === filter.providerId) &&
    (filter.name === undefined || item.info.friendlyName === filter.name || item.luid.name === filter.name)
  );
}

export function findByLuid(view: ScopeView, luidText: string): Checked<InterfaceView | undefined> {
  const luid = parseLuid(luidText);
  if (!luid.ok) return luid;
  const ifIndex = view.byLuid.get(luidHex(luid.value));
  return { ok: true, value: ifIndex === undefined ? undefined : view.interfaces.get(ifIndex) };
}
