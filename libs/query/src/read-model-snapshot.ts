import { deserialize, serialize } from 'node:v8';
import type { ReadModel, ScopeView } from '@ifreg/domain';
import type { Change } from './changes';
import type { ScopeIndex } from './luid-history';

/** The snapshot format of the read model; a snapshot of another version is ignored. */
export const READ_MODEL_SNAPSHOT_VERSION = 1;
export const READ_MODEL_SNAPSHOT_KEY = 'read-model';

interface Header {
  readonly position: number;
  /** Events folded to reach `position` (what progress bars and lag count). */
  readonly events: number;
  readonly maxFailures: number;
  readonly scopes: number;
  readonly changesHorizon: number;
}

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
 * still meanwhile (ReadModelService pauses folding).
 */
export async function encodeReadModel(state: ReadModelState, yieldNow: () => Promise<void>): Promise<Buffer> {
  const { model, changes } = state;
  const header: Header = { position: model.position, events: state.events, maxFailures: model.maxFailures, scopes: model.scopes.size, changesHorizon: changes.horizon };
  const parts: Buffer[] = [serialize(header)];
  let since = performance.now();
  for (const [scope, view] of model.scopes) {
    parts.push(serialize({ view, luids: state.luids.get(scope) }));
    if (performance.now() - since > 5) {
      await yieldNow();
      since = performance.now();
    }
  }
  parts.push(serialize(changes.changes));
  const framed: Buffer[] = [];
  for (const part of parts) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(part.length);
    framed.push(length, part);
  }
  return Buffer.concat(framed);
}

/** Reads what encodeReadModel wrote; throws on anything else. */
export function decodeReadModel(data: Uint8Array): ReadModelState {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
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
  const changes = next() as Change[];
  if (at !== buffer.length) throw new Error('read model snapshot: trailing bytes');
  return {
    model: { scopes, position: header.position, maxFailures: header.maxFailures },
    events: header.events,
    luids,
    changes: { horizon: header.changesHorizon, changes },
  };
}
