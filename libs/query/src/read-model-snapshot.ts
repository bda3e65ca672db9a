import { promisify } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { createGzip, gunzip } from 'node:zlib';
import type { ReadModel, ScopeView } from '@ifreg/domain';
import type { Change } from './changes';
import type { ScopeIndex } from './luid-history';

/** The snapshot format of the read model; a snapshot of another version is ignored. */
export const READ_MODEL_SNAPSHOT_VERSION = 1;

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
  /** Parts holding the changes, CHANGES_PER_PART each. */
  readonly changeParts: number;
}

const CHANGES_PER_PART = 500;

/** What a snapshot holds: the model, the LUID index and the recent changes watch clients resume from. */
export interface ReadModelState {
  readonly model: ReadModel;
  readonly events: number;
  readonly luids: ReadonlyMap<string, ScopeIndex>;
  readonly changes: { readonly horizon: number; readonly changes: readonly Change[] };
}

/**
 * Writes a snapshot in parts (a header, one part per scope, the changes), each a V8-serialised
 * value behind its length, and yields to the event loop between parts: serialising a large model
 * in one call would hold up every request for its whole duration. The caller keeps the model
 * still meanwhile (ReadModelService pauses folding). Gzipped: the views repeat themselves, and
 * a smaller blob is quicker to write and read.
 */
export async function encodeReadModel(state: ReadModelState, yieldNow: () => Promise<void>): Promise<Buffer> {
  const { model, changes } = state;
  const zipped = createGzip();
  const out: Buffer[] = [];
  zipped.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    zipped.on('end', resolve);
    zipped.on('error', reject);
  });
  // Each part straight into the compressor (its work runs on the thread pool): a copy of the
  // whole uncompressed model in one buffer cost ~150 ms of blocking for 64,000 interfaces.
  const put = (value: unknown): void => {
    const part = serialize(value);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(part.length);
    zipped.write(length);
    zipped.write(part);
  };
  const changeParts = Math.ceil(changes.changes.length / CHANGES_PER_PART);
  const header: Header = { position: model.position, events: state.events, maxFailures: model.maxFailures, scopes: model.scopes.size, changesHorizon: changes.horizon, changeParts };
  put(header);
  let since = performance.now();
  const pace = async (): Promise<void> => {
    if (performance.now() - since < 5) return;
    await yieldNow();
    since = performance.now();
  };
  for (const [scope, view] of model.scopes) {
    put({ view, luids: state.luids.get(scope) });
    await pace();
  }
  for (let i = 0; i < changeParts; i++) {
    put(changes.changes.slice(i * CHANGES_PER_PART, (i + 1) * CHANGES_PER_PART));
    await pace();
  }
  zipped.end();
  await ended;
  return Buffer.concat(out);
}

/** Reads what encodeReadModel wrote; throws on anything else. */
export async function decodeReadModel(data: Uint8Array): Promise<ReadModelState> {
  const buffer = await decompress(data);
  let at = 0;
  const next = (): unknown => {
    if (at + 4 > buffer.length) throw new Error('read model snapshot: truncated');
    const length = buffer.readUInt32BE(at);
    if (at + 4 + length > buffer.length) throw new Error('read model snapshot: truncated');
    const value: unknown = deserialize(buffer.subarray(at + 4, at + 4 + length));
    at += 4 + length;
    return value;
  };
  const header = next() as Header;
  if (typeof header?.position !== 'number' || typeof header.scopes !== 'number') throw new Error('read model snapshot: no header');
  const scopes = new Map<string, ScopeView>();
  const luids = new Map<string, ScopeIndex>();
  for (let i = 0; i < header.scopes; i++) {
    const { view, luids: index } = next() as { view: ScopeView; luids?: ScopeIndex };
    scopes.set(view.scope, view);
    if (index) luids.set(view.scope, index);
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
