import { luidHex, parseLuid, type Checked, type InterfaceView, type ScopeView } from '@ifreg/domain';

export interface InterfaceFilter {
  readonly ifType?: number;
  readonly providerId?: string;
  readonly name?: string;
  /** Paging: only interfaces with ifIndex greater than this. */
  readonly after?: number;
  readonly limit?: number;
}

/**
 * A scope's ifIndexes in ascending order, sorted once per change of the scope instead of on
 * every request, where sorting a full scope capped the pages served (services/bench/README.md,
 * npm run bench -- query-api). `lastChange` moves with every event that changes
 * the scope, so it tells a stale entry; a rebuilt model brings new views, which miss the cache.
 * A memo keyed by the view object (a WeakMap: it never keeps a view alive), not a client.
 */
const sortedIndexes = new WeakMap<ScopeView, { readonly lastChange: number; readonly indexes: Uint32Array }>();

function indexesOf(view: ScopeView): Uint32Array {
  const cached = sortedIndexes.get(view);
  if (cached?.lastChange === view.lastChange && cached.indexes.length === view.interfaces.size) return cached.indexes;
  // A typed array sorts numerically, without a comparator call per pair.
  const indexes = Uint32Array.from(view.interfaces.keys()).sort();
  sortedIndexes.set(view, { lastChange: view.lastChange, indexes });
  return indexes;
}

/** Position in `sorted` of the first value greater than `after` (binary search). */
function firstAbove(sorted: Uint32Array, after: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] ?? 0) <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Interfaces sorted by ifIndex; paging by ifIndex is stable while interfaces come and go. */
export function listInterfaces(view: ScopeView, filter: InterfaceFilter = {}): InterfaceView[] {
  const limit = filter.limit ?? Number.POSITIVE_INFINITY;
  const indexes = indexesOf(view);
  const out: InterfaceView[] = [];
  for (let i = firstAbove(indexes, filter.after ?? 0); i < indexes.length; i++) {
    const item = view.interfaces.get(indexes[i] ?? 0);
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

/**
 * The JSON the list and get routes answer with, kept between requests.
 *
 * Whole lists are serialised once per change of their scope: a full scope is tens of MB of
 * JSON, and JSON.stringify on every GET held the full list far below a bare server sending a
 * static body of that size (services/bench/README.md, npm run bench -- query-api). Entries
 * are checked against the scope's `lastChange`, like the sorted indexes above. At most
 * `maxScopes` lists are kept, the most recently asked for, since each costs as much memory as
 * the scope's read model itself.
 *
 * Single interfaces (pages, GET one) are kept by their view object, which the projection
 * never changes (a re-registration brings a new one), so an entry cannot go stale. They are
 * kept as UTF-8 bytes: a page of 100 is then one copy of 100 buffers, instead of
 * JSON.stringify and then the encoding of the string on every request (half of the service's
 * CPU on that route: services/bench/README.md). The oldest entries go first once
 * `maxItemBytes` bytes are kept.
 */
export class SerializedLists {
  private readonly entries = new Map<ScopeView, { readonly lastChange: number; readonly json: string }>();
  private readonly items = new Map<InterfaceView, Buffer>();
  private keptItemBytes = 0;

  constructor(
    private readonly maxScopes = 4,
    private readonly maxItemBytes = 32 * 1024 * 1024,
  ) {}

  /** JSON.stringify(listInterfaces(view)), from the cache when the scope has not changed since. */
  itemsJson(view: ScopeView): string {
    const hit = this.entries.get(view);
    this.entries.delete(view);
    const entry = hit?.lastChange === view.lastChange ? hit : { lastChange: view.lastChange, json: JSON.stringify(listInterfaces(view)) };
    this.entries.set(view, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxScopes) break;
      this.entries.delete(oldest);
    }
    return entry.json;
  }

  /** Bytes of single-interface JSON kept now (at most maxItemBytes). */
  get itemBytes(): number {
    return this.keptItemBytes;
  }

  /** The bytes of `${head}${JSON.stringify(items)}${tail}`. */
  listJson(head: string, items: readonly InterfaceView[], tail: string): Buffer {
    const parts: Buffer[] = [Buffer.from(`${head}[`)];
    items.forEach((item, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(this.itemJson(item));
    });
    parts.push(Buffer.from(`]${tail}`));
    return Buffer.concat(parts);
  }

  /**
   * JSON.stringify({ ...fields, ...item }), `fields` given as the JSON text `"a":1,"b":2`. A
   * string: a small body written with its headers in one write() beats a buffer, which Node
   * sends with them in a writev() (profiled: writev was a third of a GET of one interface).
   */
  itemWith(fields: string, item: InterfaceView): string {
    return `{${fields},${this.itemJson(item).toString('utf8', 1)}`;
  }

  /** The bytes of JSON.stringify(item). */
  itemJson(item: InterfaceView): Buffer {
    const hit = this.items.get(item);
    if (hit !== undefined) return hit;
    const json = Buffer.from(JSON.stringify(item));
    this.items.set(item, json);
    this.keptItemBytes += json.length;
    for (const [oldest, bytes] of this.items) {
      if (this.keptItemBytes <= this.maxItemBytes) break;
      this.items.delete(oldest);
      this.keptItemBytes -= bytes.length;
    }
    return json;
  }
}

const COMMA = Buffer.from(',');
