import { once } from 'node:events';
import { promisify } from 'node:util';
import type { TransformOptions } from 'node:stream';
import { constants, createGzip, gunzip, gzipSync, type ZlibOptions } from 'node:zlib';
import type { ReadModel, ScopeView } from '@ifreg/domain';
import type { Change } from './changes';
import type { ScopeIndex } from './luid-history';
import { interfaceFromTuple, interfaceTuple, luidIndexFromTuple, luidIndexTuple, type InterfaceTuple, type LuidIndexTuple } from './snapshot-tuples';

/** The snapshot format of the read model; a snapshot of another version is ignored. */
export const READ_MODEL_SNAPSHOT_VERSION = 3;

// zlib's work runs on the thread pool: (de)compressing tens of MiB holds up no request.
const decompress = promisify(gunzip);
export const READ_MODEL_SNAPSHOT_KEY = 'read-model';

interface Header {
  readonly position: number;
  /** Events folded to reach `position` (what progress bars and lag count). */
  readonly events: number;
  readonly maxFailures: number;
  readonly scopes: number;
  readonly changesHorizon: number;
  /** Parts holding the changes, PER_PART each. */
  readonly changeParts: number;
}

/** A scope without its maps: their entries follow in parts of PER_PART, these sizes say how many. */
interface ScopeHead {
  readonly view: Omit<ScopeView, 'interfaces' | 'byLuid' | 'luidIndexes'>;
  readonly interfaces: number;
  readonly byLuid: number;
  readonly luidIndexes: number;
  readonly luids?: { readonly size: number; readonly truncated: number; readonly forgotLuids: boolean };
}

/** Entries (or changes) per part: serialising 100 interfaces takes well under a millisecond. */
const PER_PART = 100;
/** Longest run of serialising between two turns of the event loop. */
const SLICE_MS = 1;

/** What a snapshot holds: the model, the LUID index and the recent changes watch clients resume from. */
export interface ReadModelState {
  readonly model: ReadModel;
  readonly events: number;
  readonly luids: ReadonlyMap<string, ScopeIndex>;
  readonly changes: { readonly horizon: number; readonly changes: readonly Change[] };
}

/**
 * Writes a snapshot in parts (a header; per scope a head, then its maps' entries PER_PART at a
 * time, interfaces and LUID indexes as tuples; the changes), each a JSON text behind its length,
 * and yields to the event loop whenever it has serialised for SLICE_MS: a scope of 1,000
 * interfaces serialised in one call held up every request for ~4 ms, more with the garbage
 * collections it caused. The caller keeps
 * the model still meanwhile (ReadModelService pauses folding). Gzipped: the views repeat
 * themselves, and a smaller blob is quicker to write and read.
 */
export async function encodeReadModel(state: ReadModelState, yieldNow: () => Promise<void>): Promise<Buffer> {
  // A stream option zlib passes on (not in its typings): the compressor's share of the model at a time.
  // The fastest level: its thread competes with requests for the cores, and the size barely differs.
  const options: ZlibOptions & TransformOptions = { highWaterMark: 1024 * 1024, level: constants.Z_BEST_SPEED };
  const zipped = createGzip(options);
  const out: Buffer[] = [];
  zipped.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    zipped.on('end', resolve);
    zipped.on('error', reject);
  });
  // Each part straight into the compressor (its work runs on the thread pool): a copy of the
  // whole uncompressed model in one buffer cost ~150 ms of blocking for 64,000 interfaces.
  let since = performance.now();
  const put = async (value: unknown): Promise<void> => {
    const [length, part] = framed(value);
    zipped.write(length);
    // Waits while the compressor is behind: the parts it holds are memory outside V8's heap,
    // and tens of MiB of it brought on full garbage collections of 100 ms and more.
    const behind = !zipped.write(part);
    if (performance.now() - since < SLICE_MS && !behind) return;
    await (behind ? once(zipped, 'drain') : yieldNow());
    since = performance.now();
  };
  for (const part of parts(state)) await put(part);
  zipped.end();
  await ended;
  // Copied into one buffer in slices too: a Buffer.concat of the whole took ~10 ms.
  const whole = Buffer.allocUnsafe(out.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of out) {
    at += chunk.copy(whole, at);
    if (performance.now() - since < SLICE_MS) continue;
    await yieldNow();
    since = performance.now();
  }
  return whole;
}

/** The parts of a snapshot, in order: a header; per scope a head, then its maps' entries PER_PART at a time; the changes. */
function* parts(state: ReadModelState): Generator<unknown> {
  const { model, changes } = state;
  const changeParts = Math.ceil(changes.changes.length / PER_PART);
  const header: Header = { position: model.position, events: state.events, maxFailures: model.maxFailures, scopes: model.scopes.size, changesHorizon: changes.horizon, changeParts };
  yield header;
  for (const [scope, view] of model.scopes) {
    const { interfaces, byLuid, luidIndexes, ...rest } = view;
    const index = state.luids.get(scope);
    const head: ScopeHead = {
      view: rest,
      interfaces: interfaces.size,
      byLuid: byLuid.size,
      luidIndexes: luidIndexes.size,
      ...(index === undefined ? {} : { luids: { size: index.luids.size, truncated: index.truncated.size, forgotLuids: index.forgotLuids } }),
    };
    yield head;
    yield* chunked(mapped(interfaces.values(), interfaceTuple));
    yield* chunked(byLuid);
    yield* chunked(mapped(luidIndexes.values(), luidIndexTuple));
    if (index !== undefined) {
      yield* chunked(index.luids);
      yield* chunked(index.truncated);
    }
  }
  for (let i = 0; i < changeParts; i++) yield changes.changes.slice(i * PER_PART, (i + 1) * PER_PART);
}

/** The values in arrays of PER_PART (the last one shorter). */
function* chunked(values: Iterable<unknown>): Generator<unknown[]> {
  let part: unknown[] = [];
  for (const value of values) {
    part.push(value);
    if (part.length < PER_PART) continue;
    yield part;
    part = [];
  }
  if (part.length > 0) yield part;
}

/**
 * The same snapshot as encodeReadModel, written in one go: for a thread of its own (the
 * snapshot thread), where nothing waits for the event loop.
 */
export function encodeReadModelSync(state: ReadModelState): Buffer {
  const out: Buffer[] = [];
  for (const value of parts(state)) out.push(...framed(value));
  return gzipSync(Buffer.concat(out), { level: constants.Z_BEST_SPEED });
}

/**
 * A part as written: its length, then its JSON. JSON rather than v8.serialize: with the latter's
 * buffers in the young generation each scavenge took ~6 ms instead of ~0.5, and requests waited for them.
 */
function framed(value: unknown): [length: Buffer, part: Buffer] {
  const part = Buffer.from(JSON.stringify(value));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(part.length);
  return [length, part];
}

function* mapped<T, U>(values: Iterable<T>, f: (value: T) => U): Iterable<U> {
  for (const value of values) yield f(value);
}

/** Reads what encodeReadModel wrote; throws on anything else. */
export async function decodeReadModel(data: Uint8Array): Promise<ReadModelState> {
  const buffer = await decompress(data);
  let at = 0;
  const next = (): unknown => {
    if (at + 4 > buffer.length) throw new Error('read model snapshot: truncated');
    const length = buffer.readUInt32BE(at);
    if (at + 4 + length > buffer.length) throw new Error('read model snapshot: truncated');
    const value: unknown = JSON.parse(buffer.toString('utf8', at + 4, at + 4 + length));
    at += 4 + length;
    return value;
  };
  /** `count` values written in parts of PER_PART. */
  const all = <T>(count: number): T[] => {
    const values: T[] = [];
    while (values.length < count) {
      const part = next();
      if (!Array.isArray(part) || part.length === 0) throw new Error('read model snapshot: a part is missing');
      for (const value of part as T[]) values.push(value);
    }
    if (values.length !== count) throw new Error('read model snapshot: a part too many');
    return values;
  };
  const header = next() as Header;
  if (typeof header?.position !== 'number' || typeof header.scopes !== 'number') throw new Error('read model snapshot: no header');
  const scopes = new Map<string, ScopeView>();
  const luids = new Map<string, ScopeIndex>();
  for (let i = 0; i < header.scopes; i++) {
    const head = next() as ScopeHead;
    if (typeof head?.view?.scope !== 'string') throw new Error('read model snapshot: no scope');
    const { scope, epoch, bootId, failures, lastChange, lastChangeAt } = head.view;
    // Field by field, in emptyScope's order: JSON leaves out the ones that are undefined.
    const view: ScopeView = {
      scope,
      epoch,
      bootId,
      interfaces: new Map(all<InterfaceTuple>(head.interfaces).map((t) => [t[0], interfaceFromTuple(t)])),
      byLuid: new Map(all<[string, number]>(head.byLuid)),
      luidIndexes: new Map(all<LuidIndexTuple>(head.luidIndexes).map((t) => { const view = luidIndexFromTuple(t); return [view.luid.value, view]; })),
      failures,
      lastChange,
      lastChangeAt,
    };
    scopes.set(view.scope, view);
    if (head.luids) {
      luids.set(view.scope, { luids: new Map(all<[number, number | number[]]>(head.luids.size)), truncated: new Set(all<number>(head.luids.truncated)), forgotLuids: head.luids.forgotLuids });
    }
  }
  const changes: Change[] = [];
  for (let i = 0; i < header.changeParts; i++) changes.push(...(next() as Change[]));
  if (at !== buffer.length) throw new Error('read model snapshot: trailing bytes');
  return {
    model: { scopes, position: header.position, maxFailures: header.maxFailures },
    events: header.events,
    luids,
    changes: { horizon: header.changesHorizon, changes },
  };
}
