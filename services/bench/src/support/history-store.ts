import type { EventData, EventStore, SnapshotStore } from '@ifreg/ports';
import { NO_STREAM } from '@ifreg/ports';
import { SCOPE_SNAPSHOT_VERSION, encodeScope, scopeSnapshotDue, scopeSnapshotKey } from '@ifreg/registrar';
import { ScopeRecorder, sequentialIds } from './registry-events';

export interface ChurnShape {
  readonly scopes: number;
  readonly interfaces: number;
  /** Reboot rounds appended per scope in one append (a batch, as a busy registrar makes). */
  readonly roundsPerAppend: number;
  /** A scope's snapshot every this many of its events, as the registrar writes them (ScopeCache.recount). */
  readonly scopeSnapshotEvery: number;
}

/**
 * A store grown by reboot churn to about `events` events: each round a BootEpoch for every
 * scope, then each of its interfaces detected again; the live set (scopes × interfaces) stays
 * the same whatever the length. Appended straight through the adapter, scopes concurrently (a
 * group commit where the store has one), with the scopes' snapshots the registrar would have
 * written on the way. Answers the number of events written.
 */
export async function growByRebootChurn(store: EventStore, snapshots: SnapshotStore, events: number, shape: ChurnShape, tag: string): Promise<number> {
  const eventId = sequentialIds(tag);
  // A small outcome window: the recorder's memory, not the registrar's, is all it bounds.
  const recorders = Array.from({ length: shape.scopes }, (_, s) => new ScopeRecorder(`host-${s}`, eventId, { maxIfIndex: 65535, dedupeWindow: 1000 }));
  const revisions = recorders.map(() => NO_STREAM);
  const snapshotAt = recorders.map(() => NO_STREAM);
  let written = 0;
  while (written < events) {
    await Promise.all(recorders.map(async (recorder, s) => {
      const batch: EventData[] = [];
      for (let r = 0; r < shape.roundsPerAppend; r++) {
        batch.push(...recorder.boot());
        for (let i = 1; i <= shape.interfaces; i++) batch.push(...recorder.detect(i));
      }
      // Encoded before the append's await: the recorder's state is that of the batch's end.
      const revision = (revisions[s] ?? NO_STREAM) + batch.length;
      const since = revision - (snapshotAt[s] ?? NO_STREAM);
      const due = scopeSnapshotDue(since, recorder.state.byLuid.size, shape.scopeSnapshotEvery);
      const data = due ? encodeScope(recorder.state) : undefined;
      revisions[s] = (await store.append(`registry-${recorder.scope}`, batch, revisions[s] ?? NO_STREAM)).nextExpectedRevision;
      if (revisions[s] !== revision) throw new Error(`scope ${recorder.scope}: revision ${revisions[s]}, expected ${revision}`);
      if (data) {
        await snapshots.save({ key: scopeSnapshotKey(recorder.scope), version: SCOPE_SNAPSHOT_VERSION, position: revision, data });
        snapshotAt[s] = revision;
      }
      written += batch.length;
    }));
  }
  return written;
}
